// Stage `usage`, once the response has ended and its last bytes have gone out (up to a tenth of a second later, with
// the flows that ended meanwhile: capture/after-end.ts; off the exchange's path): for an exchange in an LLM API format,
// the call read from the decoded bodies (tokens by kind, models, stop reason, tools, timings, quota headers) and
// its cost from the price book, hung on the flow for the writer to store as a row of "CCProxy_LlmUsage". Other
// traffic is never parsed; the work is one pass over bodies already bounded by the body limit. A Responses
// WebSocket's turns are read message by message as they pass, and stored as one row each at the connection's end.
// A failure here skips the stage (run-stages.ts): the exchange and its trace row are never touched.
import { PriceBook } from '../../usage/prices.js';
import { mayBeLlmCall, priceFlow, priceTurns, setPricedCall, setPricedCalls } from '../../usage/priced.js';
import { isResponsesUpgrade, ResponsesWsReader } from '../../usage/responses-ws.js';
import type { Capture, Stage } from '../stage.js';

/** Where a Responses WebSocket's reader waits on the upgrade's flow for the connection's messages. */
const READER = 'responsesWsReader';

/** Prices from the bundled table alone, for capture points configured without ccproxy.prices. */
let tableOnly: PriceBook | null = null;

export const usageStage: Stage = {
  name: 'usage',
  responseHeaders({ flow, settings }: Capture) {
    if (settings.usage !== false && isResponsesUpgrade(flow)) flow.metadata[READER] = new ResponsesWsReader(flow);
  },
  message({ flow }: Capture, m) {
    (flow.metadata[READER] as ResponsesWsReader | undefined)?.add(m);
  },
  afterEnd({ flow, settings }: Capture) {
    const reader = flow.metadata[READER] as ResponsesWsReader | undefined;
    if (reader) {
      delete flow.metadata[READER];
      const turns = reader.finish();
      if (turns.length > 0) setPricedCalls(flow, priceTurns(turns, settings.priceBook ?? (tableOnly ??= new PriceBook())));
      return;
    }
    if (settings.usage === false || flow.response === null || !mayBeLlmCall(flow)) return;
    const priced = priceFlow(flow, settings.priceBook ?? (tableOnly ??= new PriceBook()));
    if (priced) setPricedCall(flow, priced);
  },
};
