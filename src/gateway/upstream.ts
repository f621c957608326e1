// The gateway's outbound HTTP client: undici with keep-alive, through HTTPS_PROXY / HTTP_PROXY unless NO_PROXY
// says otherwise (lower-case names first, as curl reads them), trusting Node's roots, NODE_EXTRA_CA_CERTS and the
// ccproxy CA — so that pointing HTTPS_PROXY at the forward capture makes its interception trusted.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { CA_CERT_FILE } from '../proxy/tls/ca.js';
import { classifyUpstreamError, type ErrorType } from '../proxy/upstream-error.js';

export interface UpstreamOptions {
  env: NodeJS.ProcessEnv;
  /** Where ccproxy-ca.pem lives (ccproxy.mitm.cert_dir, else the config directory). */
  certDir: string;
  connectTimeoutMs: number;
  /** No response headers, or no body data, for this long: the exchange is cut. */
  idleTimeoutMs: number;
}

export interface Upstream {
  dispatcher: Dispatcher;
  /** The proxy outbound calls go through, for the start line; null when none. */
  proxy: string | null;
  /** CA files trusted besides Node's roots. */
  extraCAs: string[];
}

const pick = (env: NodeJS.ProcessEnv, name: string) => env[name.toLowerCase()] ?? env[name.toUpperCase()] ?? '';

export function createUpstream(o: UpstreamOptions): Upstream {
  const extraCAs = [o.env.NODE_EXTRA_CA_CERTS, join(o.certDir, CA_CERT_FILE)].filter((f): f is string => !!f && existsSync(f));
  const ca = extraCAs.length > 0 ? [...tls.rootCertificates, ...extraCAs.map((f) => readFileSync(f, 'utf8'))] : undefined;
  const common = { keepAliveTimeout: 30_000, headersTimeout: o.idleTimeoutMs, bodyTimeout: o.idleTimeoutMs };
  const connect = { timeout: o.connectTimeoutMs, ...(ca ? { ca } : {}) };
  const httpProxy = pick(o.env, 'http_proxy');
  const httpsProxy = pick(o.env, 'https_proxy');
  if (!httpProxy && !httpsProxy) return { dispatcher: new Agent({ ...common, connect }), proxy: null, extraCAs };
  const dispatcher = new EnvHttpProxyAgent({
    ...common,
    connect,
    // Given explicitly (never undefined) so undici does not read process.env behind our back.
    httpProxy,
    httpsProxy,
    noProxy: pick(o.env, 'no_proxy'),
    // A plain-http provider goes to an http proxy as an absolute-form request, not through a CONNECT tunnel:
    // the forward capture records the former and passes a tunnel that does not start with TLS through blind.
    proxyTunnel: false,
    requestTls: ca ? { ca } : {},
    proxyTls: ca ? { ca } : {},
  } as ConstructorParameters<typeof EnvHttpProxyAgent>[0]);
  return { dispatcher, proxy: withoutPassword(httpsProxy || httpProxy), extraCAs };
}

/** A proxy URL as it may be printed: no user or password. */
function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.href.replace(/\/$/, '');
  } catch {
    return '(an invalid proxy URL)';
  }
}

/** undici's own error codes mapped onto the capture proxies' error types (and the status the client gets). */
export function classifyOutboundError(err: unknown): { type: ErrorType; status: number; message: string } {
  const c = classifyUpstreamError(err);
  // A proxy that would not open the tunnel.
  if (c.type === 'upstream_reset' && /tunnel/i.test(c.message)) return { ...c, type: 'connect_failed' };
  return c;
}
