// A client's request that map_remote sends to ccproxy's own main entry (as README's example does for Codex) passes
// the forward capture, the reverse capture and the gateway before the provider. It is recorded at its two ends
// (the client's, where the forward capture took it, and the provider's, linked to it) and counted once: the hop
// through the reverse capture is relayed with the link but not recorded again, and only the provider's row is
// billed. A link header a client makes up itself is not taken: such a request is recorded like any other.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { runCli } from './helpers/cli.js';
import { freePort, SONNET, stackConfig, startDetached, startProvider, stopAndCheck, type Provider } from './helpers/daemon.js';
import { createTempDatabase, serverAvailable } from './helpers/pg.js';

const MAPPED = 'https://api.anthropic.invalid';


describe('a request map_remote sends to the main entry (ccproxy start --mitm)', () => {
  let provider: Provider;
  let cfg: { dir: string; remove(): void };
  let env: Record<string, string>;
  let db: { url: string; drop(): Promise<void> } | undefined;
  let url: string;

  before(async () => {
    provider = await startProvider();
    if (await serverAvailable()) db = await createTempDatabase();
    const port = await freePort();
    cfg = stackConfig(provider.url, ['ccproxy:', `  port: ${port}`, '  mitm:', '    port: 0', '    map_remote:', `      - from: "${MAPPED}"`, `        to: "http://127.0.0.1:${port}"`, ''].join('\n'));
    env = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: provider.caPath, ...(db ? { CCPROXY_DATABASE_URL: db.url } : {}) };
    url = await startDetached(env);
  });
  after(async () => {
    await stopAndCheck(env);
    await provider?.close();
    await db?.drop();
    cfg?.remove();
  });

  const ask = (session: string, to: string, extra: string[] = []) =>
    runCli(['run', 'curl', '-sS', '--fail-with-body', '-H', 'x-api-key: sk-ant-test', '-H', 'anthropic-version: 2023-06-01', '-H', 'content-type: application/json', '-H', `x-claude-code-session-id: ${session}`, ...extra, '-d', JSON.stringify({ model: SONNET, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }), to], env);

  /** The session's traces with their link and usage, once `n` of them have usage rows. */
  async function rows(session: string, n: number) {
    const sql = `SELECT t.trace_id, t.proxy_direction AS d, t.url, t.original_url, x.parent_trace_id AS parent, u.billed, u.client_trace_id
      FROM "CCProxy_HttpTraces" t LEFT JOIN "CCProxy_TraceTimings" x ON x.trace_id = t.trace_id LEFT JOIN "CCProxy_LlmUsage" u ON u.trace_id = t.trace_id
      WHERE t.session_id = '${session}' ORDER BY t.start_time`;
    for (let i = 0; ; i++) {
      const r = await runCli(['db', 'sql', '--json', sql], env);
      assert.equal(r.code, 0, r.stderr);
      const found = JSON.parse(r.stdout) as { trace_id: string; d: number; url: string; original_url: string | null; parent: string | null; billed: boolean | null; client_trace_id: string | null }[];
      if (found.filter((f) => f.billed !== null).length >= n || i >= 100) return found;
      await sleep(100);
    }
  }

  test('two rows, linked, the provider one billed: one request in ccproxy usage', async () => {
    const r = await ask('mapped-1', `${MAPPED}/v1/messages`);
    assert.equal(r.code, 0, r.stderr);
    const found = await rows('mapped-1', 2);
    assert.equal(found.length, 2, JSON.stringify(found));
    const [client, providerRow] = found as [(typeof found)[0], (typeof found)[0]];
    assert.deepEqual([client.d, client.original_url, client.parent], [1, `${MAPPED}/v1/messages`, null], 'the client end: where the forward capture took it, mapped');
    assert.equal(providerRow.url, `${provider.url}/v1/messages`);
    assert.equal(providerRow.parent, client.trace_id, 'the provider end links to the client end');
    assert.deepEqual([client.billed, providerRow.billed, providerRow.client_trace_id], [false, true, client.trace_id]);
    const usage = await runCli(['usage', 'session', '--json'], env);
    assert.equal(usage.code, 0, usage.stderr);
    const s = (JSON.parse(usage.stdout) as { sessions: { sessionId: string; requests: number }[] }).sessions.find((x) => x.sessionId === 'mapped-1');
    assert.equal(s?.requests, 1, usage.stdout);
  });

  test("a link header a client makes up is not taken: its request is recorded, and the header goes no further", async () => {
    const r = await ask('forged-1', `${url}/v1/messages`, ['-H', 'x-ccproxy-parent-trace: made-up-trace']);
    assert.equal(r.code, 0, r.stderr);
    const found = await rows('forged-1', 2);
    const reverse = found.filter((f) => f.d === 0);
    assert.equal(reverse.length, 1, JSON.stringify(found));
    const providerRow = found.find((f) => f.d === 1)!;
    assert.equal(providerRow.parent, reverse[0]!.trace_id, 'linked to the reverse row, not to the made-up id');
    assert.equal(provider.standIn.seen.at(-1)!.headers['x-ccproxy-parent-trace'], undefined);
  });
});
