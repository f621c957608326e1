// A capture built in one line, for stage tests without sockets (mitmproxy's tflow): a request, optionally its
// body, response and failure, as a capture point would have seen them.
import { BodyCopy } from '../flow/body-copy.js';
import type { FlowError } from '../flow/flow.js';
import { seenEnd, seenRequest, seenRequestBody, seenResponse } from './seen.js';
import { BODY_CEILING, type CaptureSettings } from './settings.js';
import type { Capture, RawHeaders } from './stage.js';

export interface TFlowOptions {
  method?: string;
  host?: string;
  path?: string;
  headers?: RawHeaders;
  body?: string | Buffer;
  response?: { status?: number; headers?: RawHeaders; body?: string | Buffer };
  error?: FlowError;
  settings?: Partial<CaptureSettings>;
}

export const T_SETTINGS: CaptureSettings = { direction: 'forward', bodyLimit: BODY_CEILING, captureBodies: true, redact: true, redactHeaders: [], llmHosts: [] };

const copyOf = (body: string | Buffer | undefined, limit: number) => {
  const copy = new BodyCopy(limit);
  if (body !== undefined) copy.push(Buffer.from(body));
  return copy;
};

export function tflow(o: TFlowOptions = {}): Capture {
  const settings = { ...T_SETTINGS, ...o.settings };
  const limit = settings.captureBodies ? settings.bodyLimit : 0;
  const host = o.host ?? 'api.anthropic.com';
  const path = o.path ?? '/v1/messages';
  const c = seenRequest(
    settings,
    { method: o.method ?? 'POST', url: `https://${host}${path}`, host, path, headers: o.headers ?? { 'content-type': 'application/json' }, clientIp: '127.0.0.1', isHttps: true, start: Date.UTC(2026, 10, 28, 12) },
    copyOf(o.body, limit),
  );
  seenRequestBody(c);
  if (o.response || o.error) {
    const r = o.response;
    const ttfbMs = r ? 20 : null;
    seenResponse(c, { status: r ? (r.status ?? 200) : null, headers: r ? (r.headers ?? { 'content-type': 'application/json' }) : null, copy: r ? copyOf(r.body, limit) : null, ttfbMs, serverIp: r ? '10.0.0.1' : null, serverPort: r ? 443 : null });
    seenEnd(c, c.flow.timing.start! + 100, o.error);
  }
  return c;
}
