// The environment `ccproxy run` gives a client: the main entry as the base URL of each client that reads one
// from the environment (the variables below, each checked against the client's source); with capture running,
// the forward capture as HTTPS_PROXY/HTTP_PROXY (both cases, as tools read one or the other) and trust in the
// ccproxy CA. NODE_EXTRA_CA_CERTS adds to Node's roots, but SSL_CERT_FILE, REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE
// replace a client's whole trust store, so they point at a bundle of the system roots plus the ccproxy CA.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import tls from 'node:tls';
import { writeFileAtomic } from '../atomic-write.js';
import { MASTER_KEY_HEADER } from '../proxy/access.js';
import type { DaemonState } from './state.js';

/** Where distributions keep their root bundle (Debian/Ubuntu/Alpine, Fedora/RHEL, openSUSE, macOS/BSD). */
export const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];

/** Loopback never goes through the proxy: the main entry itself, and local tools. */
export const NO_PROXY = 'localhost,127.0.0.1,::1';

/**
 * Base-URL variables set to the main entry, and who reads them. Codex CLI reads none (its base URL is
 * `openai_base_url` in ~/.codex/config.toml): ccproxy.mitm.map_remote sends it to the gateway instead.
 */
export const BASE_URL_VARIABLES: readonly { name: string; readBy: string }[] = [
  { name: 'ANTHROPIC_BASE_URL', readBy: 'Claude Code, the Anthropic SDKs' },
  { name: 'OPENAI_BASE_URL', readBy: 'the OpenAI SDKs (Python, Node) and tools built on them' },
  { name: 'OPENAI_API_BASE', readBy: 'openai-python before 1.0, LiteLLM, LangChain' },
  // For Gemini CLI only when its settings choose API-key login: see geminiCliHonoursBaseUrl.
  { name: 'GOOGLE_GEMINI_BASE_URL', readBy: 'Gemini CLI (with API-key login chosen in its settings), the Google Gen AI SDKs (JS, Python)' },
];

/** What `run` knows of the client it starts: the command, and the directory it runs in. */
export interface ClientCommand {
  command: string;
  cwd: string;
}

/**
 * `masterKey` (general_settings.master_key) goes where a client takes extra headers from the environment: Claude
 * Code's ANTHROPIC_CUSTOM_HEADERS (`Name: value` lines, added to the user's own). The owner does not need it where
 * the kernel tells connections' owners; it is what lets the client in where it cannot.
 */
export function clientEnv(state: DaemonState, bundle: string | null, base: NodeJS.ProcessEnv, client?: ClientCommand, masterKey: string | null = null): NodeJS.ProcessEnv {
  const main = reachable(state.url);
  const env: NodeJS.ProcessEnv = { ...base };
  for (const v of BASE_URL_VARIABLES) env[v.name] = main;
  if (masterKey) env.ANTHROPIC_CUSTOM_HEADERS = withHeader(base.ANTHROPIC_CUSTOM_HEADERS, MASTER_KEY_HEADER, masterKey);
  if (client && isGeminiCli(client.command) && !geminiCliHonoursBaseUrl(base, client.cwd)) {
    if (base.GOOGLE_GEMINI_BASE_URL) env.GOOGLE_GEMINI_BASE_URL = base.GOOGLE_GEMINI_BASE_URL;
    else delete env.GOOGLE_GEMINI_BASE_URL;
  }
  const forwardUrl = state.mitm ? state.components.forward?.url : undefined;
  const forward = forwardUrl ? reachable(forwardUrl) : undefined;
  if (forward) {
    for (const name of ['HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy']) env[name] = forward;
    env.NO_PROXY = NO_PROXY;
    env.no_proxy = NO_PROXY;
    if (state.caCert) env.NODE_EXTRA_CA_CERTS = state.caCert;
    if (bundle) for (const name of ['SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE']) env[name] = bundle;
  }
  return env;
}

/** `lines` (newline-separated `Name: value`) with `name` set to `value`, replacing a line of that name. */
export function withHeader(lines: string | undefined, name: string, value: string): string {
  const kept = (lines ?? '').split('\n').filter((l) => l.trim() !== '' && l.split(':', 1)[0]!.trim().toLowerCase() !== name);
  return [...kept, `${name}: ${value}`].join('\n');
}

const isGeminiCli = (command: string) => basename(command) === 'gemini';

/**
 * Gemini CLI 0.61 reads GOOGLE_GEMINI_BASE_URL in two ways. With API-key login chosen in its settings
 * (`security.auth.selectedType: gemini-api-key`, written when a user picks "Use Gemini API key") it sends its
 * calls there: through the gateway, both ends recorded. With no login chosen, the variable alone selects its
 * "gateway" login, which its own headless check refuses ("Invalid auth method selected.", exit 41); so it is set
 * only in the first case; otherwise the CLI goes to Google through the forward capture, recorded there (a
 * value the user set is left as it was).
 */
export function geminiCliHonoursBaseUrl(base: NodeJS.ProcessEnv, cwd: string): boolean {
  const home = base.GEMINI_CLI_HOME || homedir();
  let chosen: string | null = null;
  // The workspace's settings override the user's.
  for (const file of [join(home, '.gemini', 'settings.json'), join(cwd, '.gemini', 'settings.json')]) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    // The file may hold comments (the CLI strips them before parsing): the one field is read by pattern.
    const m = /"(?:selectedType|selectedAuthType)"\s*:\s*"([^"]*)"/.exec(text);
    if (m) chosen = m[1]!;
  }
  return chosen === 'gemini-api-key';
}

/**
 * Writes `file`: Node's roots, the system bundle (and a bundle the user already pointed SSL_CERT_FILE at) and the
 * ccproxy CA, each certificate once. Rewritten on every run so a renewed CA or updated system roots are picked up.
 */
export function writeCombinedBundle(file: string, caCert: string, env: NodeJS.ProcessEnv): string {
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (pemText: string) => {
    for (const m of pemText.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)) {
      const key = m[0].replace(/\s+/g, '');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(m[0]);
    }
  };
  for (const root of tls.rootCertificates) add(root);
  const own = env.SSL_CERT_FILE && env.SSL_CERT_FILE !== file ? [env.SSL_CERT_FILE] : [];
  for (const f of [...SYSTEM_BUNDLES, ...own]) {
    if (!existsSync(f)) continue;
    try {
      add(readFileSync(f, 'utf8'));
    } catch {
      /* unreadable: Node's roots are there anyway */
    }
  }
  add(readFileSync(caCert, 'utf8'));
  writeFileAtomic(file, `${out.join('\n')}\n`);
  return file;
}

/** A listener on every address (0.0.0.0, ::) is reached on loopback. */
export function reachable(url: string): string {
  return url.replace(/^(https?:\/\/)(0\.0\.0\.0|\[::\])(?=[:/]|$)/, '$1127.0.0.1');
}
