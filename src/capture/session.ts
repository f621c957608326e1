// Session ids as real clients send them, in order: the x-claude-code-session-id header (Claude Code), the
// session-id header (Codex CLI: one id per run or resumed session); the session_id key of a JSON-encoded
// metadata.user_id (current Claude Code); the legacy user_…_account_…_session_<id> form.

const LEGACY = /_session_([^_\s]+)$/;

/** The headers that name a session, in order of precedence. */
const SESSION_HEADERS = ['x-claude-code-session-id', 'session-id'];

export function sessionFromHeaders(headers: Record<string, string | string[] | undefined>): string | null {
  for (const name of SESSION_HEADERS) {
    const v = headers[name];
    const s = (Array.isArray(v) ? v[0] : v)?.trim();
    if (s) return s;
  }
  return null;
}

/** From a parsed JSON request body; null when it carries none. */
export function sessionFromBody(body: unknown): string | null {
  const userId = (body as { metadata?: { user_id?: unknown } } | null)?.metadata?.user_id;
  if (typeof userId !== 'string' || userId === '') return null;
  if (userId.trimStart().startsWith('{')) {
    try {
      const inner = JSON.parse(userId) as { session_id?: unknown };
      if (typeof inner.session_id === 'string' && inner.session_id) return inner.session_id;
    } catch {
      /* not JSON after all: try the legacy form */
    }
  }
  return LEGACY.exec(userId)?.[1] ?? null;
}
