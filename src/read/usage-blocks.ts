// Claude's 5-hour usage windows, as ccusage draws them: a block starts at its first call floored to the whole UTC
// hour and lasts 5 hours; a call at or after the block's end, or more than 5 hours after the previous call, starts
// the next one (a gap of more than 5 hours is shown as a gap block). The database sums calls per UTC hour; since
// a block starts on a whole hour, folding hours gives the same blocks as folding calls.
import type { GroupRow } from './usage-query.js';

export const BLOCK_MS = 5 * 60 * 60 * 1000;

export interface Block {
  /** ISO 8601 UTC. */
  start: string;
  end: string;
  /** First and last call in the block (the gap's edges for a gap). */
  first: string;
  last: string;
  isActive: boolean;
  isGap: boolean;
  /** The hour rows (one per model) that fall in the block. */
  rows: GroupRow[];
  /** The last Anthropic unified quota seen in the block, and when. */
  quota: Record<string, unknown> | null;
  quotaAt: string | null;
}

export function foldBlocks(rows: readonly GroupRow[], now = Date.now()): Block[] {
  const hours = new Map<string, GroupRow[]>();
  for (const r of rows) {
    const list = hours.get(r.key!) ?? [];
    list.push(r);
    hours.set(r.key!, list);
  }
  const ordered = [...hours.entries()].sort(([a], [b]) => Date.parse(a) - Date.parse(b));
  const blocks: Block[] = [];
  let cur: Block | null = null;
  for (const [hour, list] of ordered) {
    const first = list.map((r) => r.first).sort()[0]!;
    const last = list.map((r) => r.last).sort().at(-1)!;
    const hourMs = Date.parse(hour);
    if (cur) {
      const gap = Date.parse(first) - Date.parse(cur.last);
      if (hourMs >= Date.parse(cur.end) || gap > BLOCK_MS) {
        blocks.push(close(cur, now));
        if (gap > BLOCK_MS) blocks.push(gapBlock(cur.last, first));
        cur = null;
      }
    }
    cur ??= { start: hour, end: new Date(hourMs + BLOCK_MS).toISOString(), first, last, isActive: false, isGap: false, rows: [], quota: null, quotaAt: null };
    if (last > cur.last) cur.last = last;
    cur.rows.push(...list);
    for (const r of list) {
      if (r.quotaAt && (!cur.quotaAt || r.quotaAt > cur.quotaAt)) {
        cur.quota = r.quota ?? null;
        cur.quotaAt = r.quotaAt;
      }
    }
  }
  if (cur) blocks.push(close(cur, now));
  return blocks;
}

function close(b: Block, now: number): Block {
  b.isActive = now - Date.parse(b.last) < BLOCK_MS && now < Date.parse(b.end);
  return b;
}

function gapBlock(lastCall: string, nextCall: string): Block {
  const start = new Date(Date.parse(lastCall) + BLOCK_MS).toISOString();
  return { start, end: nextCall, first: lastCall, last: nextCall, isActive: false, isGap: true, rows: [], quota: null, quotaAt: null };
}
