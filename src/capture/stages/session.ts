// Stage `session`: the Claude Code session id, from the x-claude-code-session-id header at the request's head,
// else from the JSON body's metadata.user_id once the body has ended (read before redaction, decoded).
import { sessionFromBody, sessionFromHeaders } from '../session.js';
import { firstHeader, type Capture, type Stage } from '../stage.js';

/** Only bodies that may carry a session id are parsed. */
const MAY_HAVE_SESSION = /user_id|\\u/;

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
    const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    if (!MAY_HAVE_SESSION.test(text)) return;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return;
    }
    const s = sessionFromBody(json);
    if (s) c.flow.sessionId = s;
  },
};
