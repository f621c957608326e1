// A row for a failure that never became an exchange: no request to forward, only what the listener knew.
import { randomUUID } from 'node:crypto';
import { newFlow } from '../flow/flow.js';
import type { ExchangeContext } from './context.js';
import type { ErrorType } from './upstream-error.js';

/** A row for a failure that never became an exchange (a malformed request, a client refusing our certificate). */
export function recordError(ctx: Pick<ExchangeContext, 'sink' | 'capture'>, e: { clientIp: string | null; isHttps: boolean; type: ErrorType; message: string; host?: string; url?: string; port?: number; method?: string }) {
  if (!ctx.sink) return;
  const flow = newFlow(randomUUID(), ctx.capture.direction);
  const now = Date.now();
  flow.timing = { start: now, end: now };
  flow.client.address = e.clientIp;
  flow.trafficType = 'other';
  flow.server = { address: null, port: e.port ?? null, https: e.isHttps };
  flow.request.host = e.host ?? null;
  flow.request.url = e.url ?? null;
  flow.request.method = e.method ?? null;
  flow.error = { type: e.type, message: e.message };
  ctx.sink.requestStarted(flow);
  ctx.sink.responseEnded(flow);
}
