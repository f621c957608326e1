// The usage stage end to end, on both databases: the official Anthropic SDK (streaming and not) through `ccproxy
// start --mitm` (reverse capture → gateway → forward capture → HTTPS stand-in speaking the Messages wire format)
// leaves a usage row at each end with the tokens by kind and the cost the provider would bill (5-minute and 1-hour
// cache writes at their own rates), and "CCProxy_LlmCalls" counts each call once.
import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { EXTRACTOR_VERSION } from '../src/store/usage-table.js';
import { runCli } from './helpers/cli.js';
import { SONNET, stackConfig, startProvider, stopAndCheck, type Provider, startDetached } from './helpers/daemon.js';
import { createTempDatabase, serverSkip } from './helpers/pg.js';

const USAGE = {
  input_tokens: 100,
  output_tokens: 50,
  cache_read_input_tokens: 2000,
  cache_creation_input_tokens: 1500,
  cache_creation: { ephemeral_5m_input_tokens: 500, ephemeral_1h_input_tokens: 1000 },
};
/** Claude Sonnet 4.5 per million: input 3, output 15, cache read 0.30, 5-minute write 3.75, 1-hour write 6. */
const COST = (100 * 3 + 50 * 15 + 2000 * 0.3 + 500 * 3.75 + 1000 * 6) / 1e6;

const BACKENDS = [
  { name: 'PostgreSQL server', skip: serverSkip, db: () => createTempDatabase() },
  { name: 'embedded', skip: async () => false as const, db: async () => null },
];

for (const backend of BACKENDS) {
  describe(`usage rows from the capture (${backend.name})`, { skip: await backend.skip() }, () => {
    let provider: Provider;
    let db: Awaited<ReturnType<typeof createTempDatabase>> | null = null;
    let cfg: ReturnType<typeof stackConfig>;
    let env: Record<string, string>;
    let client: Anthropic;

    before(async () => {
      provider = await startProvider();
      provider.standIn.anthropicUsage = USAGE;
      db = await backend.db();
      cfg = stackConfig(provider.url);
      writeFileSync(join(cfg.dir, 'config.yaml'), `model_list:\n  - model_name: ${SONNET}\n    litellm_params:\n      model: anthropic/${SONNET}\n      api_base: ${provider.url}\n`);
      env = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: provider.caPath, ...(db ? { CCPROXY_DATABASE_URL: db.url } : {}) };
      client = new Anthropic({ baseURL: await startDetached(env), apiKey: 'sk-ant-api03-client-key', maxRetries: 0 });
    });
    after(async () => {
      await stopAndCheck(env);
      await provider?.close();
      await db?.drop();
      cfg?.remove();
    });

    async function sql(text: string): Promise<any[]> {
      const r = await runCli(['db', 'sql', '--json', text], env);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    }

    /** The session's usage rows, polled until both ends have written theirs. */
    async function usageRows(session: string): Promise<any[]> {
      for (let i = 0; ; i++) {
        const rows = await sql(`SELECT * FROM "CCProxy_LlmUsage" WHERE session_id = '${session}' ORDER BY proxy_direction`);
        if (rows.length >= 2 || i >= 100) return rows;
        await sleep(100);
      }
    }

    for (const stream of [false, true]) {
      test(`${stream ? 'a streamed' : 'a JSON'} call: a row at each end with the tokens by kind and the cost; the view counts it once`, async () => {
        const session = `usage-${stream ? 'sse' : 'json'}`;
        const params = { model: SONNET, max_tokens: 64, messages: [{ role: 'user' as const, content: 'hello' }] };
        const opts = { headers: { 'x-claude-code-session-id': session } };
        if (stream) {
          const s = client.messages.stream(params, opts);
          const final = await s.finalMessage();
          assert.equal(final.usage.cache_read_input_tokens, 2000);
        } else {
          const m = await client.messages.create(params, opts);
          assert.equal(m.usage.output_tokens, 50);
        }
        const rows = await usageRows(session);
        assert.deepEqual(rows.map((r) => r.proxy_direction), [0, 1], 'one row at each end');
        for (const r of rows) {
          assert.equal(r.provider, 'anthropic');
          assert.equal(r.api, 'anthropic-messages');
          assert.equal(r.served_model, SONNET);
          assert.equal(r.streamed, stream);
          assert.equal(r.stop_reason, 'end_turn');
          assert.deepEqual([r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_write_5m_tokens, r.cache_write_1h_tokens], [100, 50, 2000, 500, 1000]);
          assert.ok(Math.abs(r.cost_usd - COST) < 1e-12, `cost ${r.cost_usd}, expected ${COST}`);
          assert.match(r.price_entry, /anthropic\/claude-sonnet-4-5/);
          assert.equal(r.cost_note, null);
          assert.equal(r.extractor, EXTRACTOR_VERSION);
          assert.equal(r.message_count, 1);
          assert.ok(r.start_time, 'the start time copied from the trace');
        }
        const calls = await sql(`SELECT session_id, count(*)::int AS n, sum(cost_usd) AS usd FROM "CCProxy_LlmCalls" WHERE session_id = '${session}' GROUP BY session_id`);
        assert.equal(calls.length, 1);
        assert.equal(calls[0].n, 1, 'the call seen at both ends is billed once');
        assert.ok(Math.abs(Number(calls[0].usd) - COST) < 1e-12);
      });
    }
  });
}
