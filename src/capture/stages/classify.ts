// Stage `classify`, at the request's head: the flow's traffic type (llm, mcp, web, other) from host and path.
import { classify } from '../classify.js';
import type { Capture, Stage } from '../stage.js';

export const classifyStage: Stage = {
  name: 'classify',
  requestHeaders({ flow, settings }: Capture) {
    flow.trafficType = classify(flow.request.host ?? '', flow.request.path ?? '', settings.llmHosts);
  },
};
