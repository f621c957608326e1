// Starts the gateway in-process on a temporary config directory (config.yaml + ccproxy.yaml written by the
// test), and a stand-in provider with HTTPS from its own CA, as the gateway's tests need them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { startGateway, type RunningGateway } from '../../src/gateway/start.js';
import { silentLogger } from '../../src/log.js';
import { loadOrCreateCA, type CertificateAuthority } from '../../src/proxy/tls/ca.js';
import { tempConfigDir } from './pg.js';
import { StandIn } from './standin.js';

export interface TestGateway extends RunningGateway {
  dir: string;
  stop(): Promise<void>;
}

export async function startTestGateway(files: { configYaml: string; ccproxyYaml?: string; other?: Record<string, string> }, env: Record<string, string> = {}): Promise<TestGateway> {
  const cfg = tempConfigDir();
  for (const [name, text] of Object.entries(files.other ?? {})) {
    mkdirSync(dirname(join(cfg.dir, name)), { recursive: true });
    writeFileSync(join(cfg.dir, name), text);
  }
  writeFileSync(join(cfg.dir, 'config.yaml'), files.configYaml);
  if (files.ccproxyYaml) writeFileSync(join(cfg.dir, 'ccproxy.yaml'), files.ccproxyYaml);
  const fullEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', CCPROXY_CONFIG_DIR: cfg.dir, ...env };
  const loaded = loadConfig(fullEnv);
  const gw = await startGateway({ loaded, host: '127.0.0.1', port: 0, logger: silentLogger, env: fullEnv });
  return {
    ...gw,
    dir: cfg.dir,
    async stop() {
      await gw.close();
      cfg.remove();
    },
  };
}

/** A CA for the stand-in providers (not ccproxy's), in its own temporary directory. */
export async function providerCA(): Promise<CertificateAuthority & { remove(): void }> {
  const d = tempConfigDir();
  const ca = await loadOrCreateCA(d.dir);
  return Object.assign(ca, { remove: d.remove });
}

/** An HTTPS stand-in provider on 127.0.0.1 with a certificate from `ca`. */
export async function httpsStandIn(ca: CertificateAuthority): Promise<StandIn> {
  return new StandIn(await ca.pemFor('127.0.0.1')).start();
}
