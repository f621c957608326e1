// Where ccproxy keeps its files: one config directory, CCPROXY_CONFIG_DIR or ~/.ccproxy.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.CCPROXY_CONFIG_DIR;
  return fromEnv ? resolve(fromEnv) : join(homedir(), '.ccproxy');
}

export const paths = {
  configFile: (dir: string) => join(dir, 'ccproxy.yaml'),
  /** LiteLLM's model list, as the original kept it beside ccproxy.yaml. */
  modelsFile: (dir: string) => join(dir, 'config.yaml'),
  pgliteData: (dir: string) => join(dir, 'pglite'),
  pgliteHolder: (dir: string) => join(dir, 'pglite.json'),
  spillDir: (dir: string) => join(dir, 'spill'),
  journalDir: (dir: string) => join(dir, 'spill', 'journal'),
  rejectedFile: (dir: string) => join(dir, 'rejected.jsonl'),
  /** The running ccproxy's process id, created exclusively so that two cannot start. */
  pidFile: (dir: string) => join(dir, 'ccproxy.pid'),
  /** What the running ccproxy listens on, written once every component listens. */
  stateFile: (dir: string) => join(dir, 'ccproxy.state.json'),
  /** Where a detached ccproxy writes its log lines. */
  logFile: (dir: string) => join(dir, 'ccproxy.log'),
  /** System roots plus the ccproxy CA, for SSL_CERT_FILE and friends in `ccproxy run`. */
  caBundle: (dir: string) => join(dir, 'ca-bundle.pem'),
};
