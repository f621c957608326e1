// The link from each forward row to the reverse row that caused it, through the daemon as users run it (reverse
// capture → gateway → forward capture → HTTPS stand-in provider): the forward row's timings name the reverse
// row, and the internal header that carried the link never reaches a provider — not an intercepted one, not one
// behind an excluded host's tunnel, not even when a client sends the header itself.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { loadOrCreateCA } from '../src/proxy/tls/ca.js';
import { runCli } from './helpers/cli.js';
import { SONNET, stackConfig, stopAndCheck, PROVIDER_HOST, startDetached } from './helpers/daemon.js';
import { createTempDatabase, serverAvailable, tempConfigDir } from './helpers/pg.js';
import { StandIn } from './helpers/standin.js';

const LINK = 'x-ccproxy-parent-trace';
const EXCLUDED_HOST = '127.0.0.3';

describe('forward rows linked to their reverse rows (CCProxy_TraceTimings.parent_trace_id)', () => {
  const caDir = tempConfigDir();
  let provider: StandIn;
  let excluded: StandIn;
  let db: Awaited<ReturnType<typeof createTempDatabase>> | undefined;
  let cfg: ReturnType<typeof stackConfig>;
  let env: Record<string, string>;
  let url: string;

  const listenOn = async (s: StandIn, host: string) => {
    await new Promise<void>((r) => s.server.listen(0, host, r));
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  };

  before(async () => {
    const ca = await loadOrCreateCA(caDir.dir);
    provider = await listenOn(new StandIn(await ca.pemFor(PROVIDER_HOST)), PROVIDER_HOST);
    excluded = await listenOn(new StandIn(await ca.pemFor(EXCLUDED_HOST)), EXCLUDED_HOST);
    if (await serverAvailable()) db = await createTempDatabase();
    cfg = stackConfig(`https://${PROVIDER_HOST}:${provider.port}`, `ccproxy:\n  port: 0\n  mitm:\n    port: 0\n    excluded_hosts: ["${EXCLUDED_HOST}"]\n`);
    writeFileSync(
      join(cfg.dir, 'config.yaml'),
      [
        'model_list:',
        `  - model_name: ${SONNET}`,
        '    litellm_params:',
        '      model: anthropic/claude-upstream',
        `      api_base: https://${PROVIDER_HOST}:${provider.port}`,
        '  - model_name: claude-tunneled',
        '    litellm_params:',
        '      model: anthropic/claude-tunneled-upstream',
        `      api_base: https://${EXCLUDED_HOST}:${excluded.port}`,
        '',
      ].join('\n'),
    );
    env = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: ca.certPath, ...(db ? { CCPROXY_DATABASE_URL: db.url } : {}) };
    url = await startDetached(env);
  });
  after(async () => {
    await stopAndCheck(env);
    await Promise.all([provider?.close(), excluded?.close()]);
    await db?.drop();
    cfg?.remove();
    caDir.remove();
  });

  async function ask(model: string, session: string, extra: Record<string, string> = {}): Promise<void> {
    const res = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-claude-code-session-id': session, ...extra },
      body: JSON.stringify({ model, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(res.status, 200, await res.text());
  }

  /** The rows of a session, both directions, with their timings' link; polled until `n` are there. */
  async function rows(session: string, n: number): Promise<{ trace_id: string; proxy_direction: number; parent_trace_id: string | null; link_header: string | null }[]> {
    const sql = `SELECT t.trace_id, t.proxy_direction, x.parent_trace_id, t.request_headers->>'${LINK}' AS link_header
      FROM "CCProxy_HttpTraces" t LEFT JOIN "CCProxy_TraceTimings" x USING (trace_id)
      WHERE t.end_time IS NOT NULL AND t.session_id = '${session}' ORDER BY t.proxy_direction`;
    for (let i = 0; ; i++) {
      const r = await runCli(['db', 'sql', '--json', sql], env);
      assert.equal(r.code, 0, r.stderr);
      const got = JSON.parse(r.stdout);
      const linked = got.filter((g: { proxy_direction: number; parent_trace_id: string | null }) => g.proxy_direction === 0 || g.parent_trace_id !== null);
      if (linked.length >= n || i >= 100) return got;
      await sleep(100);
    }
  }

  test('an intercepted provider call: its forward row names the reverse row; the provider never sees the header', async () => {
    await ask(SONNET, 'link-intercepted', { [LINK]: 'forged-by-the-client' });
    assert.equal(provider.seen.at(-1)!.headers[LINK], undefined, 'the provider never sees the link header');
    const [reverse, forward] = await rows('link-intercepted', 2);
    assert.equal(reverse?.proxy_direction, 0);
    assert.equal(forward?.proxy_direction, 1);
    assert.equal(forward!.parent_trace_id, reverse!.trace_id, 'the forward row links to the reverse row, not to what the client sent');
    assert.equal(forward!.link_header, null, 'the forward row stores the headers the provider got');
    assert.equal(reverse!.parent_trace_id, null);
  });

  test('a call to an excluded host goes through a tunnel: no header inside it, no link', async () => {
    await ask('claude-tunneled', 'link-tunneled');
    assert.equal(excluded.seen.at(-1)!.headers[LINK], undefined, 'nothing ccproxy cannot strip is sent');
    const got = await rows('link-tunneled', 1);
    assert.deepEqual(got.map((g) => g.proxy_direction), [0], 'only the reverse row: the tunnel is not intercepted');
  });
});
