// A ccproxy stack as a user sets one up for the daemon tests: an HTTPS stand-in provider (its certificate from
// its own CA, on 127.0.0.2 so that `ccproxy run`'s NO_PROXY=localhost,127.0.0.1,::1 does not exempt it), a
// config directory whose config.yaml routes to it, and ports 0 so tests never collide with a real ccproxy.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../../src/store/holder.js';
import { loadOrCreateCA } from '../../src/proxy/tls/ca.js';
import { runCli, type CliResult } from './cli.js';
import { tempConfigDir } from './pg.js';
import { StandIn } from './standin.js';

export const PROVIDER_HOST = '127.0.0.2';

export interface Provider {
  standIn: StandIn;
  url: string;
  /** The provider's CA, which the daemon trusts through NODE_EXTRA_CA_CERTS (as a corporate CA would be). */
  caPath: string;
  close(): Promise<void>;
}

export async function startProvider(): Promise<Provider> {
  const caDir = tempConfigDir();
  const ca = await loadOrCreateCA(caDir.dir);
  const standIn = new StandIn(await ca.pemFor(PROVIDER_HOST));
  await new Promise<void>((r) => standIn.server.listen(0, PROVIDER_HOST, r));
  standIn.port = (standIn.server.address() as AddressInfo).port;
  return {
    standIn,
    url: `https://${PROVIDER_HOST}:${standIn.port}`,
    caPath: ca.certPath,
    close: async () => {
      await standIn.close();
      caDir.remove();
    },
  };
}

export const SONNET = 'claude-sonnet-4-5-20250929';

export function stackConfig(providerUrl: string, ccproxyYaml = 'ccproxy:\n  port: 0\n  mitm:\n    port: 0\n    debug: true\n') {
  const cfg = tempConfigDir();
  writeFileSync(
    join(cfg.dir, 'config.yaml'),
    `model_list:\n  - model_name: ${SONNET}\n    litellm_params:\n      model: anthropic/claude-upstream\n      api_base: ${providerUrl}\n`,
  );
  writeFileSync(join(cfg.dir, 'ccproxy.yaml'), ccproxyYaml);
  return cfg;
}

export interface Status {
  running: boolean;
  url: string | null;
  pid: number | null;
  log_file: string | null;
  ca_cert: string | null;
  components: Record<'gateway' | 'reverse' | 'forward' | 'database' | 'viewer', { running: boolean; pid: number | null; url: string | null; port: number | null; log_file: string | null }>;
  database: { kind: string; url: string; port?: number } | null;
  writer: { queued: number; written: number; spilled: number; dropped: number } | null;
}

export async function status(env: Record<string, string>): Promise<{ code: number | null; s: Status }> {
  const r = await runCli(['status', '--json'], env);
  return { code: r.code, s: JSON.parse(r.stdout) as Status };
}

/** A ccproxy.yaml that puts every listener on a free port. */
export const PORTS_ZERO_YAML = 'ccproxy:\n  port: 0\n  mitm:\n    port: 0\n';

/** `ccproxy start --mitm --detach` in `env`, which must succeed (its stderr shown if not); the main entry's URL. */
export async function startDetached(env: Record<string, string>): Promise<string> {
  const r = await runCli(['start', '--mitm', '--detach'], env);
  assert.equal(r.code, 0, r.stderr);
  return (await status(env)).s.url!;
}

/** `ccproxy stop`, and a check that the process is gone; safe to call when nothing runs. */
export async function stopAndCheck(env: Record<string, string>, pid?: number | null): Promise<CliResult> {
  const r = await runCli(['stop'], env);
  if (pid) for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(50);
  return r;
}

export function exists(dir: string, name: string): boolean {
  return existsSync(join(dir, name));
}

/** A port free now, for an entry that a setting (map_remote's `to`) must name before ccproxy starts. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
