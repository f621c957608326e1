// Reading stored bodies without trusting them: bytes to text, text to JSON, an SSE stream to its events with the
// time each arrived. Nothing here throws; a body that does not parse comes back as a reason. SSE framing is
// eventsource-parser's (the WHATWG rules: CR/LF/CRLF line ends, multi-line data, comments).
import { createParser } from 'eventsource-parser';

/** One chunk of a streamed response as it arrived: when, and how many bytes of the stored body it carried. */
export interface Chunk {
  /** Epoch milliseconds. */
  at: number;
  /** Bytes of the stored body in this chunk; without it, events cannot be matched to chunks. */
  bytes?: number;
}

export interface SseEvent {
  event: string | null;
  data: string;
  /** When the chunk completing this event arrived (epoch ms), or null when chunk sizes are not known. */
  at: number | null;
}

export interface SseStream {
  events: SseEvent[];
  /** The body ended inside an event (no blank line after it): the stream was cut. */
  cut: boolean;
}

export function bodyText(body: Uint8Array | null): string | null {
  if (body === null) return null;
  return (Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)).toString('utf8');
}

export type Parsed = { ok: true; value: unknown } | { ok: false; reason: string };

export function parseJson(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

/** A plain object, or null: the guard every extractor reads through. */
export function obj(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** The largest count a row holds (its token columns are 32-bit integers). */
export const MAX_COUNT = 2_147_483_647;

/**
 * A token count: a whole number from 0 to MAX_COUNT, or null (counts arrive as numbers; anything else, a fraction
 * or a number no row can hold, is not one: `badCounts` names such values for the record's notes).
 */
export function count(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_COUNT ? v : null;
}

/** The numbers in a usage object (nested ones too) that are not token counts, as `path value` for a note. */
export function badCounts(usage: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(usage)) {
    if (typeof v === 'number' && count(v) === null) out.push(`${prefix}${k} ${v}`);
    else if (obj(v)) out.push(...badCounts(obj(v)!, `${prefix}${k}.`));
  }
  return out;
}

export function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** Whether a body is an SSE stream: by its content type, else by its first field name. */
export function looksLikeSse(contentType: string | null, text: string): boolean {
  if (contentType?.toLowerCase().startsWith('text/event-stream')) return true;
  return /^(\uFEFF)?(:[^\n]*\n|(event|data|id|retry):)/.test(text.slice(0, 64));
}

/**
 * The events of an SSE body. With chunks whose sizes add up to the body's, each event gets the arrival time of the
 * chunk that completed it; with chunk times but no sizes, events get no time (the caller can still use the chunks).
 */
export function sseEvents(body: Uint8Array, chunks?: readonly Chunk[]): SseStream {
  const events: SseEvent[] = [];
  let now: number | null = null;
  const parser = createParser({
    onEvent: (m) => events.push({ event: m.event ?? null, data: m.data, at: now }),
  });
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const sized = chunks !== undefined && chunks.length > 0 && chunks.every((c) => typeof c.bytes === 'number' && c.bytes >= 0);
  const total = sized ? chunks.reduce((n, c) => n + (c.bytes ?? 0), 0) : -1;
  if (sized && total === body.length) {
    let offset = 0;
    for (const c of chunks) {
      now = c.at;
      parser.feed(decoder.decode(body.subarray(offset, offset + c.bytes!), { stream: true }));
      offset += c.bytes!;
    }
    parser.feed(decoder.decode());
  } else {
    parser.feed(decoder.decode(body));
  }
  const tail = new TextDecoder().decode(body.subarray(Math.max(0, body.length - 4)));
  const cut = body.length > 0 && !/(\r?\n|\r)(\r?\n|\r)$/.test(tail);
  if (cut) parser.reset({ consume: true });
  return { events, cut };
}
