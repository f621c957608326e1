// Requests Node's parser rejects: a bad request line or headers before any exchange began gets 400 (431 for
// headers too large) and an error row; a body found malformed (or cut) after its exchange began lands on that
// exchange's row; garbage after a complete request gets its own. Either way the listener keeps serving.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody } from '../error-body.js';
import type { ExchangeContext } from './context.js';
import { recordError } from './record-error.js';

/** The exchange each client connection is serving, so a parse error after its headers lands on that exchange's row. */
export const inFlight = new WeakMap<Socket, { malformed(err: NodeJS.ErrnoException, socket: Socket): void }>();

/** Malformed request lines or headers: 400 (431 for headers too large), an error row, and the listener keeps serving. */
export function rejectMalformed(ctx: Pick<ExchangeContext, 'sink' | 'capture'>, err: NodeJS.ErrnoException, socket: Socket, isHttps = false) {
  const exchange = inFlight.get(socket);
  if (exchange) return exchange.malformed(err, socket);
  // A client gone (reset, or closed with its request's headers unfinished) left no request: no row, no answer.
  if (!socket.writable || err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE') {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  socket.end(badRequestResponse(status, tooLarge ? 'request headers too large' : `malformed request: ${err.code ?? err.message}`));
  recordError(ctx, { clientIp: socket.remoteAddress ?? null, isHttps, type: 'bad_request', message: `${status}: ${err.code ?? ''} ${err.message}`.trim() });
}

/** A whole 400 (or 431) answer written on a raw socket, closing the connection; its JSON body says why. */
export function badRequestResponse(status: 400 | 431, message: string): string {
  const body = errorBody('invalid_request_error', message);
  return `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/**
 * Bytes after a complete request that do not parse are the next request's, not that one's: its exchange goes on
 * to its end; then the garbage is answered 400 with a bad_request row of its own, and the connection closes.
 */
export function garbageAfterRequest(ctx: Pick<ExchangeContext, 'sink' | 'capture'>, res: ServerResponse, err: NodeJS.ErrnoException, socket: Socket, isHttps: boolean): void {
  const answer = () => {
    if (!socket.destroyed) socket.end(badRequestResponse(400, `malformed request: ${err.code ?? err.message}`));
  };
  if (res.writableFinished) answer();
  else {
    res.once('finish', answer);
    res.once('close', () => socket.destroy());
  }
  recordError(ctx, { clientIp: socket.remoteAddress ?? null, isHttps, type: 'bad_request', message: `400: ${err.code ?? ''} ${err.message}`.trim() });
}
