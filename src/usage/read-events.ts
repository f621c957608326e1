// What an extractor learns from a stream besides the usage itself: when the first generated token arrived (the
// time of the event that carried it, when events have times), for time to first token and output speed.

export interface StreamRead {
  /** Epoch ms of the first content-bearing event, or null when unknown. */
  firstTokenAt: number | null;
}

/**
 * Each event's data as JSON objects (those that are not JSON are counted, not thrown). `skip` leaves out events
 * known by their name alone (a stream's text deltas are most of it), so their data is never parsed.
 */
export function jsonEvents<T extends { data: string; at: number | null }>(events: readonly T[], skip?: (e: T) => boolean): { items: { data: Record<string, unknown>; at: number | null; event: T }[]; bad: number } {
  const items: { data: Record<string, unknown>; at: number | null; event: T }[] = [];
  let bad = 0;
  for (const e of events) {
    if (e.data === '[DONE]' || skip?.(e)) continue;
    try {
      const v: unknown = JSON.parse(e.data);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) items.push({ data: v as Record<string, unknown>, at: e.at, event: e });
      else bad++;
    } catch {
      bad++;
    }
  }
  return { items, bad };
}
