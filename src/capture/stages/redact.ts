// Stage `redact`: what is stored keeps only fingerprints of credentials. Headers become their stored form (plain
// strings, secrets fingerprinted when redaction is on), URLs lose their secret query values, JSON, SSE and form
// bodies their secret fields, error messages their secrets. If it fails, the part it could not clean is dropped.
import type { FlowRequest, FlowResponse } from '../../flow/flow.js';
import { redactForm, redactLogLine, redactQuery, storedHeaders } from '../redact.js';
import { redactJsonBytes, redactSseBytes } from '../redact-json.js';
import { firstHeader, type Capture, type Hook, type RawHeaders, type Stage } from '../stage.js';

function redactBody(part: FlowRequest | FlowResponse, headers: RawHeaders): void {
  const body = part.body;
  if (!body || body.length === 0) return;
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const type = (firstHeader(headers, 'content-type') ?? '').toLowerCase();
  const isSse = type.startsWith('text/event-stream');
  const jsonLike = !isSse && (type.includes('json') || buf[0] === 0x7b || buf[0] === 0x5b);
  const isForm = type.startsWith('application/x-www-form-urlencoded');
  const redacted = isSse ? redactSseBytes(buf) : isForm ? redactFormBytes(buf) : jsonLike ? redactJsonBytes(buf) : null;
  if (redacted !== null) part.body = redacted;
}

function redactFormBytes(body: Buffer): Buffer | null {
  const redacted = redactForm(body.toString('latin1'));
  return redacted === null ? null : Buffer.from(redacted, 'latin1');
}

/**
 * The headers each response's stored headers were made from: the same headers at the response's end are not
 * stored again. A stored headers object is never changed once made (the writer keeps its JSON by identity).
 */
const storedFrom = new WeakMap<FlowResponse, RawHeaders>();

const stripQuery = (u: string | null) => (u === null ? null : u.split('?')[0]!);

export const redactStage: Stage = {
  name: 'redact',
  requestHeaders({ flow, settings, requestHeaders }: Capture) {
    const q = flow.request;
    q.headers = storedHeaders(requestHeaders, settings.redact, settings.redactHeaders);
    if (!settings.redact) return;
    if (q.url !== null) q.url = redactQuery(q.url);
    if (q.path !== null) q.path = redactQuery(q.path);
    if (q.originalUrl) q.originalUrl = redactQuery(q.originalUrl);
  },
  requestBody({ flow, settings, requestHeaders }: Capture) {
    if (settings.redact) redactBody(flow.request, requestHeaders);
  },
  responseHeaders({ flow, settings, responseHeaders }: Capture) {
    if (!flow.response || !responseHeaders || storedFrom.get(flow.response) === responseHeaders) return;
    flow.response.headers = storedHeaders(responseHeaders, settings.redact, settings.redactHeaders);
    storedFrom.set(flow.response, responseHeaders);
  },
  responseEnd(c: Capture) {
    const { flow, settings, responseHeaders } = c;
    // The head's headers again, unless the stored ones were made from these very headers already.
    this.responseHeaders!(c);
    if (settings.redact && flow.error?.message) flow.error.message = redactLogLine(flow.error.message);
    if (settings.redact && flow.response && responseHeaders) redactBody(flow.response, responseHeaders);
  },
  failed({ flow }: Capture, hook: Hook | 'message') {
    if (hook === 'message') return;
    if (hook === 'requestHeaders') {
      flow.request.headers = {};
      flow.request.url = stripQuery(flow.request.url);
      flow.request.path = stripQuery(flow.request.path);
      flow.request.originalUrl = stripQuery(flow.request.originalUrl);
    } else if (hook === 'requestBody') flow.request.body = null;
    else {
      if (flow.response) {
        storedFrom.delete(flow.response);
        flow.response.headers = {};
        flow.response.body = null;
      }
      if (flow.error) flow.error.message = null;
    }
  },
};
