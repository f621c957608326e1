// The new gateway endpoints in the daemon as a user runs it (`start --mitm --detach`): a Responses turn over the
// WebSocket and one over SSE through the main entry (reverse capture → gateway → forward capture, whose proxy URL
// carries the gateway's credentials) to an HTTPS stand-in, and a Gemini call.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import WebSocket from 'ws';
import { loadOrCreateCA } from '../src/proxy/tls/ca.js';
import { PROVIDER_HOST, stopAndCheck, startDetached, PORTS_ZERO_YAML } from './helpers/daemon.js';
import { GEMINI_TEXT, GeminiStandIn } from './helpers/gemini-standin.js';
import { OpenAIStandIn, RESPONSE_TEXT } from './helpers/openai-standin.js';
import { tempConfigDir } from './helpers/pg.js';
import { runCli } from './helpers/cli.js';

describe('the daemon: Responses over WebSocket and SSE, and Gemini, through both capture points', () => {
  const caDir = tempConfigDir();
  const cfg = tempConfigDir();
  let openai: OpenAIStandIn;
  let gemini: GeminiStandIn;
  let env: Record<string, string>;
  let entry: string;

  before(async () => {
    const ca = await loadOrCreateCA(caDir.dir);
    openai = await new OpenAIStandIn(await ca.pemFor(PROVIDER_HOST)).start(PROVIDER_HOST);
    gemini = await new GeminiStandIn(await ca.pemFor(PROVIDER_HOST)).start(PROVIDER_HOST);
    writeFileSync(
      join(cfg.dir, 'config.yaml'),
      `model_list:\n  - model_name: gpt-5\n    litellm_params:\n      model: openai/gpt-5-upstream\n      api_base: ${openai.url}/v1\n  - model_name: gemini-2.5-flash\n    litellm_params:\n      model: gemini/gemini-2.5-flash-upstream\n      api_base: ${gemini.url}\n`,
    );
    writeFileSync(join(cfg.dir, 'ccproxy.yaml'), PORTS_ZERO_YAML);
    env = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: ca.certPath };
    entry = await startDetached(env);
  });
  after(async () => {
    await stopAndCheck(env);
    await openai?.close();
    await gemini?.close();
    cfg.remove();
    caDir.remove();
  });

  test('a Responses WebSocket turn', async () => {
    const ws = new WebSocket(`${entry.replace('http', 'ws')}/v1/responses`, { headers: { authorization: 'Bearer sk-client', 'openai-beta': 'responses_websockets=2026-02-06' } });
    await once(ws, 'open');
    const events: any[] = [];
    const done = new Promise<void>((resolve, reject) => {
      ws.on('message', (d) => {
        events.push(JSON.parse(d.toString()));
        if (events.at(-1).type === 'response.completed') resolve();
      });
      ws.on('close', () => reject(new Error(`closed: ${JSON.stringify(events)}`)));
    });
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5', input: 'hi', stream: true }));
    await done;
    assert.equal(events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join(''), RESPONSE_TEXT);
    assert.equal(openai.wsMessages.at(-1)!.model, 'gpt-5-upstream');
    ws.close();
    await once(ws, 'close');
    // Both ends recorded and linked, as an HTTP call's are: the provider's upgrade names the client's, and the turn
    // is billed once, at the provider's end.
    const sql = `SELECT t.trace_id, t.proxy_direction AS d, x.parent_trace_id AS parent, u.billed, u.client_trace_id
      FROM "CCProxy_HttpTraces" t LEFT JOIN "CCProxy_TraceTimings" x ON x.trace_id = t.trace_id LEFT JOIN "CCProxy_LlmUsage" u ON u.trace_id = t.trace_id
      WHERE t.status_code = 101 AND split_part(t.path, '?', 1) = '/v1/responses' ORDER BY t.proxy_direction`;
    let rows: { trace_id: string; d: number; parent: string | null; billed: boolean | null; client_trace_id: string | null }[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await runCli(['db', 'sql', '--json', sql], env);
      assert.equal(r.code, 0, r.stderr);
      rows = JSON.parse(r.stdout);
      if (rows.length === 2 && rows.every((x) => x.billed !== null)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const [client, provider] = rows as [(typeof rows)[0], (typeof rows)[0]];
    assert.deepEqual([client?.d, provider?.d, provider?.parent, provider?.client_trace_id], [0, 1, client?.trace_id, client?.trace_id], JSON.stringify(rows));
    assert.deepEqual([client.billed, provider.billed], [false, true]);
  });

  test('a streamed responses.create and a Gemini generateContent', async () => {
    const client = new OpenAI({ baseURL: `${entry}/v1`, apiKey: 'sk-client', maxRetries: 0 });
    let text = '';
    for await (const e of await client.responses.create({ model: 'gpt-5', input: 'hi', stream: true })) if (e.type === 'response.output_text.delta') text += e.delta;
    assert.equal(text, RESPONSE_TEXT);
    const res = await fetch(`${entry}/v1beta/models/gemini-2.5-flash:generateContent?key=AIza-client`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }) });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as any).candidates[0].content.parts[0].text, GEMINI_TEXT);
    assert.equal(gemini.last(':generateContent').headers['x-goog-api-key'], 'AIza-client');
  });
});
