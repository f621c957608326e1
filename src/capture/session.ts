// Session ids as real clients send them, in order: the x-claude-code-session-id header; the session_id key of
// a JSON-encoded metadata.user_id (current Claude Code); the legacy user_…_account_…_session_<id> form.

const LEGACY = /_session_([^_\s]+)$/;

export function sessionFromHeaders(headers: Record<string, string | string[] | undefined>): string | null {
  const v = headers['x-claude-code-session-id'];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.trim() ? s.trim() : null;
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
