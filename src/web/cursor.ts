// Keyset cursors of the API's pages: a time (epoch ms) and a tie-breaking id, opaque to clients (base64url), so a
// page starts exactly after the last row of the one before however many rows arrive meanwhile.
import { ApiError } from './respond.js';

export interface Cursor {
  time: number;
  id: string;
}

export const encodeCursor = (c: Cursor): string => Buffer.from(`${c.time}:${c.id}`, 'utf8').toString('base64url');

/** The cursor in a query parameter, or null when absent; a 400 when it is not one this API gave out. */
export function decodeCursor(v: string | null, name: string): Cursor | null {
  if (v === null || v === '') return null;
  const text = Buffer.from(v, 'base64url').toString('utf8');
  const colon = text.indexOf(':');
  const time = Number(text.slice(0, colon));
  if (colon < 1 || !Number.isFinite(time)) throw new ApiError(400, 'invalid_request', `${name}: not a cursor this API gave out`);
  return { time, id: text.slice(colon + 1) };
}
