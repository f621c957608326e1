// The one place ccproxy relies on undici's internals: which upstream socket carried a request. undici announces
// each request it writes, with its socket, on the `undici:client:sendHeaders` diagnostics channel, but not the
// dispatch handler it belongs to; the request object holds that handler under a symbol described "handler".
// Should a later undici change that, the callback is simply never called: server_ip and server_port stay NULL
// (the capture tests check that they are filled).
import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

let handlerKey: symbol | undefined;

/** Calls `seen` with the dispatch handler and socket of every request undici writes, from now on. */
export function onUpstreamSocket(seen: (handler: unknown, socket: Socket) => void): void {
  diagnostics.subscribe('undici:client:sendHeaders', (message) => {
    const { request, socket } = message as { request: object; socket: Socket };
    handlerKey ??= Object.getOwnPropertySymbols(request).find((s) => s.description === 'handler');
    if (handlerKey) seen((request as Record<symbol, unknown>)[handlerKey], socket);
  });
}
