// The LLM usage table and the view of billed calls, on both databases: a call seen at both ends (the reverse row
// linked from the forward row) is one call in "CCProxy_LlmCalls", a call seen at one end only is one call, and
// retention takes usage rows with their trace.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Flow } from '../src/flow/flow.js';
import { newFlow } from '../src/flow/flow.js';
import { silentLogger } from '../src/log.js';
import { pruneOlderThan } from '../src/store/prune.js';
import { openTraceStore } from '../src/store/store.js';
import { PriceBook } from '../src/usage/prices.js';
import { priceFlow, pricedCallsOf, setPricedCall } from '../src/usage/priced.js';
import { BACKENDS } from './helpers/pg.js';

const book = new PriceBook();

/** An exchange of the Messages API with its answer, priced as the usage stage prices it. */
function flow(id: string, direction: 'reverse' | 'forward', parentId?: string, outputTokens = 10): Flow {
  const f = newFlow(id, direction);
  f.sessionId = 'sess-view';
  f.trafficType = 'llm';
  f.request.method = 'POST';
  f.request.host = 'api.anthropic.com';
  f.request.path = '/v1/messages';
  f.request.headers = { 'user-agent': 'claude-cli/2.1.197 (external, cli)' };
  f.request.body = Buffer.from(JSON.stringify({ model: 'claude-opus-4-8', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }));
  const answer = { id: `msg_${id}`, type: 'message', role: 'assistant', model: 'claude-opus-4-8', content: [{ type: 'text', text: 'hello' }], stop_reason: 'end_turn', usage: { input_tokens: 100, output_tokens: outputTokens } };
  const body = Buffer.from(JSON.stringify(answer));
  f.response = { status: 200, headers: { 'content-type': 'application/json' }, body, bodySize: body.length, bodyTruncated: false, contentType: 'application/json' };
  f.timing = { start: Date.now(), end: Date.now() + 10 };
  if (parentId) f.parentId = parentId;
  // A client's request went on to the gateway, linked (as the reverse capture sends it); a provider call went nowhere linked.
  f.linkedOut = direction === 'reverse';
  const priced = priceFlow(f, book);
  assert.ok(priced, 'an Anthropic call');
  setPricedCall(f, priced);
  return f;
}

const costOf = (f: Flow) => pricedCallsOf(f)[0]!.cost.usd!;

for (const backend of BACKENDS) {
  describe(`CCProxy_LlmCalls (${backend.name})`, { skip: await backend.skip() }, () => {
    test('one row per billed call: the forward record where the reverse one links to it, whichever end is written first', async () => {
      const env = await backend.setup();
      const store = await openTraceStore(env.loaded, silentLogger);
      const write = async (...flows: Flow[]) => {
        for (const f of flows) {
          store.writer.requestStarted(f);
          store.writer.requestEnded(f);
          store.writer.responseEnded(f);
          store.writer.responseRead(f);
        }
        assert.ok(await store.writer.flush());
      };
      try {
        const f = {
          rev1: flow('rev-1', 'reverse', undefined, 11),
          fwd1: flow('fwd-1', 'forward', 'rev-1', 12),
          rev2: flow('rev-2', 'reverse', undefined, 13),
          fwd2: flow('fwd-2', 'forward', 'rev-2', 14),
          rev3: flow('rev-3', 'reverse', undefined, 15),
          fwd3: flow('fwd-3', 'forward', 'rev-3', 16),
          rev4: flow('rev-4', 'reverse', undefined, 17),
          fwd5: flow('fwd-5', 'forward', undefined, 18),
        };
        await write(f.rev1); // the client's end committed first, its forward row in a later batch
        await write(f.fwd1);
        await write(f.fwd2); // the provider's end first
        await write(f.rev2);
        await write(f.fwd3, f.rev3, f.rev4, f.fwd5); // both ends in one batch; one end only
        const { rows } = await store.db.pool.query(`SELECT trace_id, client_trace_id, user_agent, status_code FROM "CCProxy_LlmCalls" ORDER BY trace_id`);
        assert.deepEqual(
          rows.map((r) => [r.trace_id, r.client_trace_id]),
          [['fwd-1', 'rev-1'], ['fwd-2', 'rev-2'], ['fwd-3', 'rev-3'], ['fwd-5', null], ['rev-4', null]],
        );
        assert.equal(rows[0].user_agent, 'claude-cli/2.1.197 (external, cli)');
        const sum = await store.db.pool.query(`SELECT session_id, sum(cost_usd) AS usd FROM "CCProxy_LlmCalls" GROUP BY session_id`);
        const billed = [f.fwd1, f.fwd2, f.fwd3, f.fwd5, f.rev4].reduce((s, x) => s + costOf(x), 0);
        assert.equal(sum.rows.length, 1);
        assert.ok(Math.abs(Number(sum.rows[0].usd) - billed) < 1e-12, `${sum.rows[0].usd} against ${billed}`);
        const all = await store.db.pool.query(`SELECT count(*)::int AS n FROM "CCProxy_LlmUsage"`);
        assert.equal(all.rows[0].n, 8, 'both ends keep their usage rows');

        await store.db.pool.query(`UPDATE "CCProxy_HttpTraces" SET created_at = NOW() - INTERVAL '40 days' WHERE trace_id = 'rev-4'`);
        await pruneOlderThan(store.db, 30 * 86400);
        const left = await store.db.pool.query(`SELECT trace_id FROM "CCProxy_LlmUsage" ORDER BY trace_id`);
        assert.deepEqual(left.rows.map((r) => r.trace_id), ['fwd-1', 'fwd-2', 'fwd-3', 'fwd-5', 'rev-1', 'rev-2', 'rev-3']);
      } finally {
        await store.close();
        await env.cleanup();
      }
    });
  });
}
