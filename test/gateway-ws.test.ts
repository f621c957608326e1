// The Responses WebSocket beyond the happy path: through HTTPS_PROXY (the forward capture, trusting only the
// ccproxy CA, as the daemon runs it), a provider that drops the connection mid-turn, a client that vanishes
// mid-turn, and a gateway stopping with a socket open.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import WebSocket from 'ws';
import { providerCA, startTestGateway, type TestGateway } from './helpers/gateway.js';
import { OpenAIStandIn, RESPONSE_TEXT } from './helpers/openai-standin.js';
import { startCapture, type RunningCapture } from './helpers/proxy.js';

const create = (model: string) => JSON.stringify({ type: 'response.create', model, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }], stream: true });

/** Sends one turn and resolves with the events up to response.completed (or what came before the close). */
async function turn(ws: WebSocket, model: string): Promise<{ events: any[]; close?: number }> {
  const events: any[] = [];
  return new Promise((resolve) => {
    ws.on('message', (d) => {
      const e = JSON.parse(d.toString());
      events.push(e);
      if (e.type === 'response.completed' || e.type === 'error') resolve({ events });
    });
    ws.once('close', (code) => resolve({ events, close: code }));
    ws.send(create(model));
  });
}

describe('gateway: the Responses WebSocket through the forward capture, and peers that go away', () => {
  let ca: Awaited<ReturnType<typeof providerCA>>;
  let provider: OpenAIStandIn;
  let cap: RunningCapture & { dir: string };
  let gw: TestGateway;
  const config = () => `model_list:\n  - model_name: gpt-5\n    litellm_params:\n      model: openai/gpt-5-upstream\n      api_base: ${provider.url}/v1\n  - model_name: gpt-vanish\n    litellm_params:\n      model: openai/gpt-vanish-upstream\n      api_base: ${provider.url}/v1\n`;
  before(async () => {
    ca = await providerCA();
    provider = await new OpenAIStandIn(await ca.pemFor('127.0.0.1')).start();
    // The capture trusts the provider's CA; the gateway trusts only the capture's CA (cert_dir): a connection that
    // bypassed the proxy would fail its TLS handshake.
    cap = await startCapture(['--mode', 'forward'], undefined, { NODE_EXTRA_CA_CERTS: ca.certPath });
    gw = await startTestGateway({ configYaml: config(), ccproxyYaml: `ccproxy:\n  mitm:\n    cert_dir: ${cap.dir}\n` }, { HTTPS_PROXY: cap.url });
  });
  after(async () => {
    await gw?.stop();
    assert.equal(await cap?.stop(), 0);
    await provider?.close();
    ca?.remove();
  });

  test('a turn over the WebSocket goes through HTTPS_PROXY with CONNECT, trusting the ccproxy CA', async () => {
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/v1/responses`, { headers: { authorization: 'Bearer sk-client', 'x-claude-code-session-id': 'ws-through-proxy' } });
    await once(ws, 'open');
    const { events } = await turn(ws, 'gpt-5');
    assert.equal(events.at(-1).type, 'response.completed', JSON.stringify(events));
    assert.equal(events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join(''), RESPONSE_TEXT);
    assert.equal(provider.wsMessages.at(-1)!.model, 'gpt-5-upstream');
    assert.equal(provider.last('/v1/responses').headers.authorization, 'Bearer sk-client');
    ws.close();
    await once(ws, 'close');
  });

  test('each turn of a WebSocket connection is its own LLM usage row of the upgrade trace, in order', async () => {
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/v1/responses`, { headers: { authorization: 'Bearer sk-client' } });
    await once(ws, 'open');
    for (let i = 0; i < 3; i++) assert.equal((await turn(ws, 'gpt-5')).events.at(-1).type, 'response.completed');
    ws.close();
    await once(ws, 'close');
    // The connection's row and its usage rows are written when the provider side closes.
    let rows: any[] = [];
    for (let i = 0; i < 200 && rows.length < 3; i++) {
      ({ rows } = await cap.db.pool.query(
        `SELECT u.* FROM "CCProxy_LlmUsage" u JOIN "CCProxy_HttpTraces" t ON t.trace_id = u.trace_id
         WHERE t.status_code = 101 AND (SELECT count(*) FROM "CCProxy_LlmUsage" x WHERE x.trace_id = u.trace_id) = 3 ORDER BY u.call_seq`,
      ));
      if (rows.length < 3) await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(rows.map((r) => r.call_seq), [0, 1, 2]);
    assert.equal(new Set(rows.map((r) => r.trace_id)).size, 1, 'one upgrade trace');
    for (const r of rows) {
      assert.equal(r.api, 'openai-responses');
      assert.equal(r.requested_model, 'gpt-5-upstream');
      assert.equal(r.streamed, true);
      assert.equal(r.input_tokens, 12);
      assert.equal(r.output_tokens, 6);
      assert.equal(r.stop_reason, 'completed');
      assert.ok(r.ttft_ms >= 0, 'time to first token from the response.create');
    }
    assert.ok(rows[0].start_time <= rows[1].start_time && rows[1].start_time <= rows[2].start_time, 'each turn at its own time');
    const { rows: view } = await cap.db.pool.query(`SELECT count(*)::int AS n FROM "CCProxy_LlmCalls" WHERE trace_id = $1`, [rows[0].trace_id]);
    assert.equal(view[0].n, 3, 'three billed calls in the view');
  });

  test('HTTP Responses calls go through the same proxy and are recorded with the rewritten model', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client', maxRetries: 0 });
    await client.responses.create({ model: 'gpt-5', input: 'hi' }, { headers: { 'x-claude-code-session-id': 'responses-through-proxy' } });
    const [row] = await cap.rows(`session_id = 'responses-through-proxy'`);
    assert.equal(row.url, `${provider.url}/v1/responses`);
    assert.equal(JSON.parse(row.request_body.toString()).model, 'gpt-5-upstream');
  });

  test('the provider drops the connection mid-turn: the client’s socket closes with 1011 after the events that came', async () => {
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/v1/responses`);
    await once(ws, 'open');
    const { events, close } = await turn(ws, 'gpt-vanish');
    assert.deepEqual(events.map((e) => e.type), ['response.created']);
    assert.equal(close ?? (await once(ws, 'close'))[0], 1011);
  });

  test('a client that vanishes mid-turn: the gateway keeps serving the next one', async () => {
    const gone = new WebSocket(`${gw.url.replace('http', 'ws')}/v1/responses`);
    await once(gone, 'open');
    gone.send(create('gpt-5'));
    gone.terminate();
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/v1/responses`);
    await once(ws, 'open');
    const { events } = await turn(ws, 'gpt-5');
    assert.equal(events.at(-1).type, 'response.completed', JSON.stringify(events));
    ws.close();
    await once(ws, 'close');
  });

  test('stopping the gateway closes an open WebSocket with 1001 (going away)', async () => {
    const own = await startTestGateway({ configYaml: config() }, { NODE_EXTRA_CA_CERTS: ca.certPath });
    const ws = new WebSocket(`${own.url.replace('http', 'ws')}/v1/responses`);
    await once(ws, 'open');
    await turn(ws, 'gpt-5');
    const closed = once(ws, 'close');
    await own.stop();
    assert.equal((await closed)[0], 1001);
  });
});
