// Which credential a routed request carries to its provider: the deployment's api_key when set; otherwise the
// client's own (Authorization: Bearer — a Claude subscription's OAuth token, or a key — x-api-key, or Gemini's x-goog-api-key), or a token from
// ccproxy.oat_sources. Bearer tokens to Anthropic go without x-api-key and with the oauth beta flag, as the
// original did; keys go to Gemini as x-goog-api-key. oat_sources tokens are cached and read again when the provider answers 401.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { OatSourceConfig } from '../config/schema.js';
import type { Deployment } from './config.js';

export const OAUTH_BETA = 'oauth-2025-04-20';
/** Anthropic API keys (`sk-ant-api03-…`); other Bearer tokens to Anthropic are OAuth tokens (`sk-ant-oat01-…`). */
const ANTHROPIC_KEY_PREFIX = 'sk-ant-api';
/** A token command that takes longer than this is stuck (a keychain prompt nobody answers, say). */
const COMMAND_TIMEOUT_MS = 15_000;

export class CredentialError extends Error {}

interface Source {
  provider: string;
  command?: string;
  file?: string;
  userAgent?: string;
  destinations: string[];
}

/** The oat_sources of ccproxy.yaml: one cached token per provider, read again on demand. */
export class OatSources {
  private readonly sources: Source[];
  private readonly cache = new Map<string, Promise<string>>();

  constructor(
    config: Record<string, OatSourceConfig>,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.sources = Object.entries(config).map(([provider, c]) =>
      typeof c === 'string' ? { provider, command: c, destinations: [] } : { provider, command: c.command, file: c.file, userAgent: c.user_agent, destinations: c.destinations ?? [] },
    );
  }

  /** The source for a deployment: by its provider, or by its api_base host among a source's destinations. */
  sourceFor(d: Deployment): Source | undefined {
    const host = d.apiBase?.hostname.toLowerCase() ?? '';
    return this.sources.find((s) => s.provider === d.provider) ?? this.sources.find((s) => s.destinations.some((dest) => host === dest.toLowerCase() || host.endsWith(`.${dest.toLowerCase()}`)));
  }

  token(source: Source): Promise<string> {
    let p = this.cache.get(source.provider);
    if (!p) {
      p = this.read(source);
      this.cache.set(source.provider, p);
      p.catch(() => this.cache.delete(source.provider));
    }
    return p;
  }

  /** Forgets `stale` and reads the source again (concurrent callers share one read). */
  refresh(source: Source, stale: string): Promise<string> {
    const current = this.cache.get(source.provider);
    if (current) {
      return current.then(
        (t) => {
          if (t !== stale) return t;
          if (this.cache.get(source.provider) === current) this.cache.delete(source.provider);
          return this.token(source);
        },
        () => this.token(source),
      );
    }
    return this.token(source);
  }

  private async read(s: Source): Promise<string> {
    let out: string;
    if (s.file !== undefined) {
      const path = s.file.replace(/^~(?=\/|$)/, homedir());
      try {
        out = await readFile(path, 'utf8');
      } catch (err) {
        throw new CredentialError(`oat_sources.${s.provider}: cannot read ${path}: ${(err as Error).message}`);
      }
    } else {
      out = await new Promise<string>((resolve, reject) => {
        execFile('/bin/sh', ['-c', s.command!], { env: this.env, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
          if (err) {
            const why = (err as NodeJS.ErrnoException & { killed?: boolean }).killed ? `timed out after ${COMMAND_TIMEOUT_MS / 1000}s` : `exit ${(err as { code?: unknown }).code ?? '?'}`;
            reject(new CredentialError(`oat_sources.${s.provider}: command failed (${why})${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`));
          } else resolve(stdout);
        });
      });
    }
    const token = out.trim();
    if (!token || token === 'null') throw new CredentialError(`oat_sources.${s.provider}: the ${s.file !== undefined ? 'file' : 'command'} gave no token`);
    return token.replace(/^Bearer\s+/i, '');
  }
}

/** What the forward_* hooks allow through from the client. */
export interface ForwardPolicy {
  /** forward_oauth: the client's Authorization header, else an oat_sources token. */
  oauth: boolean;
  /** forward_apikey: the client's x-api-key. */
  apiKey: boolean;
}

export interface CredentialChoice {
  kind: 'deployment' | 'client-bearer' | 'client-api-key' | 'oat' | 'none';
  /** Set for `oat`: the token used, so a 401 can replace it. */
  oatToken?: string;
  oatSource?: Source;
}

/**
 * Sets the outgoing credential headers (lower-case names) for a deployment. `headers` starts as the client's
 * end-to-end headers; the client's credentials are removed unless they are the ones used.
 */
export async function applyCredentials(headers: Record<string, string | string[]>, d: Deployment, policy: ForwardPolicy, oat: OatSources, env: NodeJS.ProcessEnv): Promise<CredentialChoice> {
  const clientAuth = typeof headers.authorization === 'string' ? headers.authorization : undefined;
  // Gemini clients send their key as x-goog-api-key (the gateway moves a ?key= there first).
  const clientKey = [headers['x-api-key'], headers['x-goog-api-key']].find((k): k is string => typeof k === 'string');
  delete headers.authorization;
  delete headers['x-api-key'];
  delete headers['x-goog-api-key'];
  const anthropic = d.format === 'anthropic';
  const setKey = (key: string) => {
    if (anthropic) headers['x-api-key'] = key;
    else if (d.format === 'gemini') headers['x-goog-api-key'] = key;
    else headers.authorization = `Bearer ${key}`;
  };

  if (d.apiKey) {
    const key = 'literal' in d.apiKey ? d.apiKey.literal : env[d.apiKey.env];
    if (!key) throw new CredentialError(`the api_key of "${d.name}" (${d.where}) reads os.environ/${(d.apiKey as { env: string }).env}, which is not set`);
    setKey(key);
    return { kind: 'deployment' };
  }
  const bearer = clientAuth && /^bearer\s/i.test(clientAuth) ? clientAuth.replace(/^bearer\s+/i, '') : undefined;
  // Current Anthropic SDKs send API keys as Bearer too; those are keys (forward_apikey), not OAuth tokens.
  const bearerIsKey = bearer !== undefined && bearer.startsWith(ANTHROPIC_KEY_PREFIX);
  if (policy.oauth && bearer !== undefined && !bearerIsKey) {
    headers.authorization = clientAuth!;
    if (anthropic) addBeta(headers, OAUTH_BETA);
    setUserAgent(headers, oat, d);
    return { kind: 'client-bearer' };
  }
  if (policy.apiKey && bearerIsKey) {
    headers.authorization = clientAuth!;
    return { kind: 'client-api-key' };
  }
  if (policy.apiKey && clientKey) {
    setKey(clientKey);
    return { kind: 'client-api-key' };
  }
  if (policy.oauth && !clientAuth) {
    const source = oat.sourceFor(d);
    if (source) {
      const token = await oat.token(source);
      setOatHeaders(headers, d, token, source);
      return { kind: 'oat', oatToken: token, oatSource: source };
    }
  }
  return { kind: 'none' };
}

export function setOatHeaders(headers: Record<string, string | string[]>, d: Deployment, token: string, source: Source): void {
  headers.authorization = `Bearer ${token}`;
  if (d.format === 'anthropic') addBeta(headers, OAUTH_BETA);
  if (source.userAgent) headers['user-agent'] = source.userAgent;
}

function setUserAgent(headers: Record<string, string | string[]>, oat: OatSources, d: Deployment) {
  const ua = oat.sourceFor(d)?.userAgent;
  if (ua) headers['user-agent'] = ua;
}

/** Adds a flag to anthropic-beta (a comma-separated list), once. */
export function addBeta(headers: Record<string, string | string[]>, flag: string): void {
  const current = headers['anthropic-beta'];
  const flags = (Array.isArray(current) ? current.join(',') : (current ?? ''))
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  if (!flags.includes(flag)) flags.push(flag);
  headers['anthropic-beta'] = flags.join(',');
}
