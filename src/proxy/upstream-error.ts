// What went wrong with an upstream, as a small documented set of error types, the status the client gets,
// and a JSON body that names the upstream.

export type ErrorType = 'connect_failed' | 'dns_failed' | 'tls_failed' | 'timeout' | 'upstream_reset' | 'client_aborted' | 'client_tls_rejected' | 'bad_request' | 'tunnel_refused' | 'ws_protocol_error' | 'proxy_shutdown';

/** The configured timeouts, to say which one ran out. */
export interface Timeouts {
  connectMs: number;
  idleMs: number;
}

/** Node's socket and DNS errors, and undici's own (whose cause, when it has one, says more). */
export function classifyUpstreamError(err: unknown, timeouts?: Timeouts): { type: ErrorType; status: number; message: string } {
  const e = err as NodeJS.ErrnoException & { cause?: unknown };
  const code = e?.code ?? '';
  const message = e?.message ?? String(err);
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { type: 'timeout', status: 504, message: timeouts ? `no connection within ${timeouts.connectMs / 1000}s` : message };
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return { type: 'timeout', status: 504, message: timeouts ? `no data for ${timeouts.idleMs / 1000}s` : message };
  // What the upstream client refuses to send (a request target such as `*`): the request's fault, not the upstream's.
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') return { type: 'bad_request', status: 400, message: `the request cannot be sent on: ${message}` };
  if (code.startsWith('UND_ERR_') && e.cause) {
    const inner = classifyUpstreamError(e.cause, timeouts);
    return { ...inner, message: `${message}: ${inner.message}` };
  }
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return { type: 'timeout', status: 504, message };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return { type: 'dns_failed', status: 502, message };
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') return { type: 'connect_failed', status: 502, message };
  if (/^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|ERR_OSSL)/.test(code) || /certificate|SSL routines|TLS/i.test(message)) {
    return { type: 'tls_failed', status: 502, message };
  }
  return { type: 'upstream_reset', status: 502, message };
}

export function upstreamErrorBody(upstream: string, type: ErrorType, message: string): string {
  const what = type === 'bad_request' ? `ccproxy did not send the request to ${upstream}` : `ccproxy could not reach ${upstream}`;
  return JSON.stringify({ type: 'error', error: { type: 'proxy_error', error_type: type, message: `${what}: ${message}`, upstream } });
}
