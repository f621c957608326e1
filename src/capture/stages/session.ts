// Stage `session`: the Claude Code session id, from the x-claude-code-session-id header at the request's head,
// else from the JSON body's metadata.user_id once the body has ended (read before redaction, decoded).
import { sessionFromBody, sessionFromHeaders } from '../session.js';
import { firstHeader, type Capture, type Stage } from '../stage.js';

/** Only bodies that may carry a session id are decoded and parsed: they name user_id, or hold an escape that could. */
const mayHaveSession = (body: Buffer) => body.includes('user_id') || body.includes('\\u');

export const sessionStage: Stage = {
  name: 'session',
  requestHeaders(c: Capture) {
    c.flow.sessionId = sessionFromHeaders(c.requestHeaders as Record<string, string>);
    c.sessionFromHeader = c.flow.sessionId !== null;
  },
  requestBody(c: Capture) {
    const { body, bodyTruncated } = c.flow.request;
    if (c.sessionFromHeader || !body || body.length === 0 || bodyTruncated) return;
    const type = (firstHeader(c.requestHeaders, 'content-type') ?? '').toLowerCase();
    if (type.startsWith('text/event-stream') || !(type.includes('json') || body[0] === 0x7b || body[0] === 0x5b)) return;
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (!mayHaveSession(bytes)) return;
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      return;
    }
    const s = sessionFromBody(json);
    if (s) c.flow.sessionId = s;
  },
};
