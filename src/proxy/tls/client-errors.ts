// What went wrong in a TLS handshake with a client of the forward capture, in words a user can act on: a client
// that left, one that rejected ccproxy's certificate (give it the CA), bytes after CONNECT that are not TLS.
/** The client's end of the connection went away (reset, or closed mid-handshake), as opposed to a TLS alert. */
export const isConnectionLoss = (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET' || err.code === 'EPIPE' || /socket hang up|disconnected before secure/i.test(err.message);

/** A client that left during the handshake; after our certificate went out, one that does not trust it may do just that. */
export function describeClientTlsAbort(host: string, how: 'reset' | 'closed', certificateSent: boolean, caPath: string): string {
  const base = `the client ${how} the connection during the TLS handshake for ${host}`;
  return certificateSent ? `${base}, after ccproxy sent its certificate (a client that does not trust the ccproxy CA may leave this way: give it ${caPath})` : `${base}, before ccproxy sent its certificate`;
}

/** OpenSSL's errors for bytes that are not TLS records at all (as opposed to a client's alert or a failed negotiation). */
export const NOT_TLS = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_EXCESSIVE_MESSAGE_SIZE',
  'ERR_SSL_RECORD_LENGTH_MISMATCH',
  'ERR_SSL_LENGTH_MISMATCH',
  'ERR_SSL_BAD_PACKET_LENGTH',
  'ERR_SSL_HTTP_REQUEST',
  'ERR_SSL_HTTPS_PROXY_REQUEST',
  'ERR_SSL_UNEXPECTED_MESSAGE',
  'ERR_SSL_UNEXPECTED_RECORD',
]);

/** OpenSSL's text, made readable: which alert the client sent, and what to do about it. */
export function describeClientTlsError(err: NodeJS.ErrnoException, host: string, caPath: string): string {
  const alert = /alert ([a-z][a-z ]*?)(?::|$)/i.exec(err.message)?.[1];
  if (alert && /unknown ca|certificate unknown|bad certificate|unsupported certificate|certificate expired/i.test(alert)) {
    return `the client rejected the certificate for ${host} (TLS alert: ${alert}): it does not trust the ccproxy CA; give it ${caPath} (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, --cacert)`;
  }
  const reason = alert ? `TLS alert: ${alert}` : (err.code ?? err.message.split('\n')[0]);
  return `TLS handshake with the client failed for ${host}: ${reason}`;
}
