// Stage `usage`, once the response has ended (its bytes already passed on): for an exchange in an LLM API format,
// the call read from the decoded bodies (tokens by kind, models, stop reason, tools, timings, quota headers) and
// its cost from the price book, hung on the flow for the writer to store as a row of "CCProxy_LlmUsage". Other
// traffic is never parsed; the work is one pass over bodies already bounded by the body limit. A failure here
// skips the stage (run-stages.ts): the exchange and its trace row are never touched.
import { PriceBook } from '../../usage/prices.js';
import { mayBeLlmCall, priceFlow, setPricedCall } from '../../usage/priced.js';
import type { Capture, Stage } from '../stage.js';

/** Prices from the bundled table alone, for capture points configured without ccproxy.prices. */
let tableOnly: PriceBook | null = null;

export const usageStage: Stage = {
  name: 'usage',
  responseEnd({ flow, settings }: Capture) {
    if (settings.usage === false || flow.response === null || !mayBeLlmCall(flow)) return;
    const priced = priceFlow(flow, settings.priceBook ?? (tableOnly ??= new PriceBook()));
    if (priced) setPricedCall(flow, priced);
  },
};
