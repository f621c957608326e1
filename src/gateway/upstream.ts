// The gateway's outbound HTTP client: undici with keep-alive, through HTTPS_PROXY / HTTP_PROXY unless NO_PROXY
// says otherwise (lower-case names first, as curl reads them), trusting Node's roots, NODE_EXTRA_CA_CERTS and the
// ccproxy CA — so that pointing HTTPS_PROXY at the forward capture makes its interception trusted.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { CA_CERT_FILE } from '../proxy/tls/ca-files.js';
import { classifyUpstreamError, type ErrorType } from '../proxy/upstream-error.js';
import { unbracket } from '../host-name.js';
import { withoutCredentials } from '../url-credentials.js';

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
  /** For the connections undici does not make (the Responses WebSocket): the same trust and proxy choice. */
  ws: WsUpstreamSettings;
}

export interface WsUpstreamSettings {
  /** Node's roots plus the extra CAs, or undefined for Node's defaults. */
  ca: string[] | undefined;
  connectTimeoutMs: number;
  /** The proxy a connection to `target` goes through (HTTPS_PROXY for https/wss, HTTP_PROXY for http/ws), or null. */
  proxyFor(target: URL): URL | null;
}

const pick = (env: NodeJS.ProcessEnv, name: string) => env[name.toLowerCase()] ?? env[name.toUpperCase()] ?? '';

export function createUpstream(o: UpstreamOptions): Upstream {
  const extraCAs = [o.env.NODE_EXTRA_CA_CERTS, join(o.certDir, CA_CERT_FILE)].filter((f): f is string => !!f && existsSync(f));
  const ca = extraCAs.length > 0 ? [...tls.rootCertificates, ...extraCAs.map((f) => readFileSync(f, 'utf8'))] : undefined;
  const common = { keepAliveTimeout: 30_000, headersTimeout: o.idleTimeoutMs, bodyTimeout: o.idleTimeoutMs };
  const connect = { timeout: o.connectTimeoutMs, ...(ca ? { ca } : {}) };
  const httpProxy = pick(o.env, 'http_proxy');
  const httpsProxy = pick(o.env, 'https_proxy');
  const ws: WsUpstreamSettings = { ca, connectTimeoutMs: o.connectTimeoutMs, proxyFor: (target) => proxyFor(target, httpProxy, httpsProxy, pick(o.env, 'no_proxy')) };
  if (!httpProxy && !httpsProxy) return { dispatcher: new Agent({ ...common, connect }), proxy: null, extraCAs, ws };
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
  return { dispatcher, proxy: withoutCredentials(httpsProxy || httpProxy) ?? '(an invalid proxy URL)', extraCAs, ws };
}

/** HTTPS_PROXY for secure targets, HTTP_PROXY for plain ones, unless NO_PROXY lists the host (`*`, a name, `.suffix`, with or without `:port`). */
function proxyFor(target: URL, httpProxy: string, httpsProxy: string, noProxy: string): URL | null {
  const secure = target.protocol === 'https:' || target.protocol === 'wss:';
  const chosen = secure ? httpsProxy : httpProxy;
  if (!chosen) return null;
  const host = unbracket(target.hostname).toLowerCase();
  const port = target.port || (secure ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return null;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry)!;
    const name = unbracket(m[1]!.replace(/^\*?\./, '.'));
    if (m[2] && m[2] !== port) continue;
    if (host === name.replace(/^\./, '') || (name.startsWith('.') ? host.endsWith(name) : host.endsWith(`.${name}`))) return null;
  }
  try {
    return new URL(chosen.includes('://') ? chosen : `http://${chosen}`);
  } catch {
    return null;
  }
}

/** undici's own error codes mapped onto the capture proxies' error types (and the status the client gets). */
export function classifyOutboundError(err: unknown): { type: ErrorType; status: number; message: string } {
  const c = classifyUpstreamError(err);
  // A proxy that would not open the tunnel.
  if (c.type === 'upstream_reset' && /tunnel/i.test(c.message)) return { ...c, type: 'connect_failed' };
  return c;
}
