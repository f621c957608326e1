// The gateway's other endpoints end to end, against stand-ins in each API's wire format over HTTPS: the OpenAI
// SDK's responses.create (JSON and SSE) and embeddings.create; the Responses WebSocket (relayed both ways, an
// upstream that refuses the upgrade, a model with no route); Gemini generateContent / streamGenerateContent /
// countTokens / embedContent with the key in the header, in ?key= and from the deployment; Gemini CLI's JSON
// routing call; pass-through of provider paths with no model; and the 400 for every format mismatch.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { request } from 'undici';
import WebSocket from 'ws';
import { GEMINI_TEXT, GeminiStandIn } from './helpers/gemini-standin.js';
import { httpsStandIn, providerCA, startTestGateway, type TestGateway } from './helpers/gateway.js';
import { OpenAIStandIn, RESPONSE_TEXT } from './helpers/openai-standin.js';
import type { StandIn } from './helpers/standin.js';

const RULES = `ccproxy:
  rules:
    - name: think
      rule: ccproxy.rules.ThinkingRule
`;

type Ca = Awaited<ReturnType<typeof providerCA>>;

async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const res = await request(url, { method: (init.method ?? 'POST') as 'POST', headers: { 'content-type': 'application/json', ...init.headers }, body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body) });
  const text = await res.body.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

/** Opens a WebSocket and collects text messages until `done` says so or the socket closes. */
function wsClient(url: string, headers: Record<string, string>) {
  const ws = new WebSocket(url, { headers });
  const received: any[] = [];
  let wake: () => void = () => {};
  ws.on('message', (d) => {
    received.push(JSON.parse(d.toString()));
    wake();
  });
  const closed = once(ws, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }));
  closed.then(() => wake());
  return {
    ws,
    received,
    closed,
    opened: once(ws, 'open'),
    async until(pred: (m: any) => boolean): Promise<any> {
      for (;;) {
        const hit = received.find(pred);
        if (hit) return hit;
        if (ws.readyState === WebSocket.CLOSED) throw new Error(`closed before the awaited message; got ${JSON.stringify(received)}`);
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
}

describe('gateway: Responses, embeddings, Gemini and pass-through paths', () => {
  let ca: Ca;
  let anthropic: StandIn;
  let openai: OpenAIStandIn;
  let refusing: OpenAIStandIn;
  let gemini: GeminiStandIn;
  let gw: TestGateway;
  let client: OpenAI;

  before(async () => {
    ca = await providerCA();
    const pem = await ca.pemFor('127.0.0.1');
    anthropic = await httpsStandIn(ca);
    openai = await new OpenAIStandIn(pem).start();
    refusing = await new OpenAIStandIn(pem).start();
    refusing.websocket = 404;
    gemini = await new GeminiStandIn(pem).start();
    const entry = (name: string, model: string, base: string, extra = '') => `  - model_name: ${name}\n    litellm_params:\n      model: ${model}\n      api_base: ${base}\n${extra}`;
    const configYaml = [
      'model_list:',
      entry('claude-x', 'anthropic/claude-x-upstream', anthropic.url),
      entry('gpt-5', 'openai/gpt-5-upstream', `${openai.url}/v1`),
      entry('gpt-keyed', 'openai/gpt-keyed-upstream', `${openai.url}/v1`, '      api_key: os.environ/TEST_OPENAI_KEY\n'),
      entry('text-embedding-3-small', 'openai/text-embedding-3-small-upstream', `${openai.url}/v1`),
      entry('think', 'openai/gpt-think-upstream', `${openai.url}/v1`),
      entry('gpt-refusing', 'openai/gpt-refusing-upstream', `${refusing.url}/v1`),
      entry('gemini-2.5-pro', 'gemini/gemini-2.5-pro-upstream', gemini.url),
      entry('gemini-keyed', 'gemini/gemini-keyed-upstream', gemini.url, '      api_key: os.environ/TEST_GEMINI_KEY\n'),
    ].join('\n');
    gw = await startTestGateway({ configYaml, ccproxyYaml: RULES }, { NODE_EXTRA_CA_CERTS: ca.certPath, TEST_OPENAI_KEY: 'sk-deployment-key', TEST_GEMINI_KEY: 'AIza-deployment-key' });
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client-key', maxRetries: 0 });
  });
  after(async () => {
    await gw?.stop();
    await Promise.all([anthropic?.close(), openai?.close(), refusing?.close(), gemini?.close()]);
    ca?.remove();
  });

  describe('OpenAI Responses and embeddings', () => {
    test('responses.create: the model is rewritten, the client key forwarded, the Response comes back with its usage', async () => {
      const r = await client.responses.create({ model: 'gpt-5', input: 'say hello', instructions: 'Be brief.' });
      assert.equal(r.output_text, RESPONSE_TEXT);
      assert.equal(r.usage?.total_tokens, 18);
      const seen = openai.last('/responses');
      assert.equal(seen.url, '/v1/responses');
      assert.equal(seen.headers.authorization, 'Bearer sk-client-key');
      const sent = JSON.parse(seen.body.toString());
      assert.equal(sent.model, 'gpt-5-upstream');
      assert.equal(sent.instructions, 'Be brief.');
    });

    test('responses.create streaming: every event arrives in order, response.completed carries the usage', async () => {
      const stream = await client.responses.create({ model: 'gpt-5', input: [{ role: 'user', content: 'say hello' }], stream: true });
      const types: string[] = [];
      let text = '';
      let usage: any;
      for await (const e of stream) {
        types.push(e.type);
        if (e.type === 'response.output_text.delta') text += e.delta;
        if (e.type === 'response.completed') usage = e.response.usage;
      }
      assert.equal(types[0], 'response.created');
      assert.equal(types.at(-1), 'response.completed');
      assert.ok(types.includes('response.output_item.done'));
      assert.equal(text, RESPONSE_TEXT);
      assert.equal(usage.output_tokens, 6);
    });

    test('the deployment api_key replaces the client key; /responses without /v1 is served too', async () => {
      const r = await call(`${gw.url}/responses`, { headers: { authorization: 'Bearer sk-client-key' }, body: { model: 'gpt-keyed', input: 'hi' } });
      assert.equal(r.status, 200);
      assert.equal(r.json.object, 'response');
      assert.equal(openai.last('/responses').headers.authorization, 'Bearer sk-deployment-key');
      assert.equal(JSON.parse(openai.last('/responses').body.toString()).model, 'gpt-keyed-upstream');
    });

    test('ThinkingRule reads reasoning.effort of a Responses body', async () => {
      await client.responses.create({ model: 'gpt-5', input: 'think hard', reasoning: { effort: 'high' } });
      assert.equal(JSON.parse(openai.last('/responses').body.toString()).model, 'gpt-think-upstream');
      await client.responses.create({ model: 'gpt-5', input: 'no thinking', reasoning: { effort: 'none' } as any });
      assert.equal(JSON.parse(openai.last('/responses').body.toString()).model, 'gpt-5-upstream');
    });

    test('embeddings.create (base64, as the SDK asks) and a float request without /v1', async () => {
      const e = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['one', 'two'] });
      assert.equal(e.data.length, 2);
      assert.deepEqual(e.data[1]!.embedding, [0.25, -0.5, 1]);
      assert.equal(e.usage.total_tokens, 8);
      const seen = openai.last('/embeddings');
      assert.equal(seen.url, '/v1/embeddings');
      assert.equal(JSON.parse(seen.body.toString()).model, 'text-embedding-3-small-upstream');
      const plain = await call(`${gw.url}/embeddings`, { body: { model: 'text-embedding-3-small', input: 'x', encoding_format: 'float' } });
      assert.deepEqual(plain.json.data[0].embedding, [0.25, -0.5, 0]);
    });
  });

  describe('the Responses WebSocket', () => {
    const codexHeaders = { authorization: 'Bearer sk-client-key', 'openai-beta': 'responses_websockets=2026-02-06', originator: 'codex_cli_rs', session_id: 'ws-session-1' };
    const create = (model: string, input = 'say hello') => JSON.stringify({ type: 'response.create', model, instructions: 'Be brief.', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }], tools: [], tool_choice: 'auto', parallel_tool_calls: false, store: false, stream: true, include: [] });

    test('two turns on one socket: routed by the message, model rewritten, events relayed back in order', async () => {
      const before = openai.wsMessages.length;
      const c = wsClient(`${gw.url.replace('http', 'ws')}/v1/responses`, codexHeaders);
      await c.opened;
      c.ws.send(create('gpt-5'));
      const done = await c.until((m) => m.type === 'response.completed');
      assert.equal(done.response.usage.total_tokens, 18);
      assert.deepEqual(c.received.slice(0, 2).map((m) => m.type), ['response.created', 'response.in_progress']);
      assert.equal(c.received.filter((m) => m.type === 'response.output_text.delta').map((m) => m.delta).join(''), RESPONSE_TEXT);
      c.ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5', previous_response_id: done.response.id, input: [] }));
      await c.until((m) => m.type === 'response.completed' && m.response.id === 'resp_ws_1');
      const sent = openai.wsMessages.slice(before);
      assert.deepEqual(sent.map((m) => [m.type, m.model]), [['response.create', 'gpt-5-upstream'], ['response.create', 'gpt-5-upstream']]);
      assert.equal(sent[0]!.instructions, 'Be brief.');
      const upgrade = openai.last('/v1/responses');
      assert.equal(upgrade.method, 'GET');
      assert.equal(upgrade.headers.authorization, 'Bearer sk-client-key');
      assert.equal(upgrade.headers['openai-beta'], 'responses_websockets=2026-02-06');
      assert.equal(upgrade.headers.session_id, 'ws-session-1');
      c.ws.close(1000);
      assert.equal((await c.closed).code, 1000);
    });

    test('the rules see each response.create: reasoning.effort labels it think', async () => {
      const c = wsClient(`${gw.url.replace('http', 'ws')}/v1/responses`, codexHeaders);
      await c.opened;
      c.ws.send(JSON.stringify({ ...JSON.parse(create('gpt-5')), reasoning: { effort: 'high', summary: 'auto' } }));
      await c.until((m) => m.type === 'response.completed');
      assert.equal(openai.wsMessages.at(-1)!.model, 'gpt-think-upstream');
      assert.deepEqual(openai.wsMessages.at(-1)!.reasoning, { effort: 'high', summary: 'auto' });
      c.ws.close();
      await c.closed;
    });

    test('a deployment that refuses the upgrade: the error event carries its status and message, then the socket closes', async () => {
      const c = wsClient(`${gw.url.replace('http', 'ws')}/v1/responses`, codexHeaders);
      await c.opened;
      c.ws.send(create('gpt-refusing'));
      const err = await c.until((m) => m.type === 'error');
      assert.equal(err.status, 404);
      assert.equal(err.error.code, 'websocket_not_supported');
      assert.equal(err.error.deployment, 'gpt-refusing');
      assert.equal(err.headers['x-request-id'], 'req_refused');
      assert.equal((await c.closed).code, 1011);
    });

    test('?model= names the model before the upgrade: the upstream refusal is the client’s handshake status', async () => {
      const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/v1/responses?model=gpt-refusing`, { headers: codexHeaders });
      ws.on('error', () => {}); // terminate() while still connecting reports one
      const [, res] = (await once(ws, 'unexpected-response')) as [unknown, import('node:http').IncomingMessage];
      assert.equal(res.statusCode, 404);
      let body = '';
      for await (const c of res) body += c;
      assert.match(body, /websocket_not_supported/);
      ws.terminate();
      assert.equal(refusing.last('/v1/responses').url, '/v1/responses?model=gpt-refusing-upstream');
    });

    test('?model= with an accepting deployment: upgraded and relayed', async () => {
      const c = wsClient(`${gw.url.replace('http', 'ws')}/v1/responses?model=gpt-5`, codexHeaders);
      await c.opened;
      c.ws.send(create('gpt-5'));
      await c.until((m) => m.type === 'response.completed');
      c.ws.close();
    });

    test('a model nothing routes: an error event with 404 and close 1008; other paths refuse the upgrade', async () => {
      const c = wsClient(`${gw.url.replace('http', 'ws')}/v1/responses`, codexHeaders);
      await c.opened;
      c.ws.send(create('no-such-model'));
      const err = await c.until((m) => m.type === 'error');
      assert.equal(err.status, 404);
      assert.match(err.error.message, /no-such-model/);
      assert.equal((await c.closed).code, 1008);
      const other = new WebSocket(`${gw.url.replace('http', 'ws')}/v1/chat/completions`);
      other.on('error', () => {});
      const [, res] = (await once(other, 'unexpected-response')) as [unknown, import('node:http').IncomingMessage];
      assert.equal(res.statusCode, 404);
      other.terminate();
    });

    test('a Responses request over the WebSocket routed to an Anthropic deployment: translated, answered with Responses events', async () => {
      const c = wsClient(`${gw.url.replace('http', 'ws')}/v1/responses`, codexHeaders);
      await c.opened;
      const before = anthropic.seen.length;
      c.ws.send(create('claude-x'));
      const done = await c.until((m) => m.type === 'response.completed' || m.type === 'error');
      assert.equal(done.type, 'response.completed', JSON.stringify(done));
      const sent = anthropic.seen.slice(before);
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.url, '/v1/messages');
      assert.equal(JSON.parse(sent[0]!.body.toString()).model, 'claude-x-upstream');
      c.ws.close();
      await c.closed;
    });
  });

  describe('Gemini', () => {
    const gen = { contents: [{ role: 'user', parts: [{ text: 'say hello' }] }], systemInstruction: { parts: [{ text: 'Be brief.' }] } };

    test('generateContent with the key in x-goog-api-key: the model of the path is rewritten, the answer has usageMetadata', async () => {
      const r = await call(`${gw.url}/v1beta/models/gemini-2.5-pro:generateContent`, { headers: { 'x-goog-api-key': 'AIza-client-key' }, body: gen });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.candidates[0].content.parts[0].text, GEMINI_TEXT);
      assert.equal(r.json.usageMetadata.totalTokenCount, 12);
      const seen = gemini.last(':generateContent');
      assert.equal(seen.url, '/v1beta/models/gemini-2.5-pro-upstream:generateContent');
      assert.equal(seen.headers['x-goog-api-key'], 'AIza-client-key');
      assert.deepEqual(JSON.parse(seen.body.toString()), gen, 'the body goes as it came (Gemini bodies name no model)');
    });

    test('streamGenerateContent?alt=sse&key=…: the key moves to x-goog-api-key, the rest of the query stays; SSE chunks arrive', async () => {
      const r = await call(`${gw.url}/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=AIza-query-key`, { body: gen });
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /text\/event-stream/);
      const chunks = r.text.split('\r\n\r\n').filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, '')));
      assert.equal(chunks.map((c) => c.candidates[0].content.parts[0].text).join(''), GEMINI_TEXT);
      assert.equal(chunks.at(-1).usageMetadata.candidatesTokenCount, 5);
      const seen = gemini.last(':streamGenerateContent');
      assert.equal(seen.url, '/v1beta/models/gemini-2.5-pro-upstream:streamGenerateContent?alt=sse');
      assert.equal(seen.headers['x-goog-api-key'], 'AIza-query-key');
    });

    test('the deployment api_key replaces the client key; countTokens and embedContent are routed too', async () => {
      const r = await call(`${gw.url}/v1beta/models/gemini-keyed:countTokens?key=AIza-client`, { body: { contents: gen.contents } });
      assert.equal(r.json.totalTokens, 7);
      const seen = gemini.last(':countTokens');
      assert.equal(seen.url, '/v1beta/models/gemini-keyed-upstream:countTokens');
      assert.equal(seen.headers['x-goog-api-key'], 'AIza-deployment-key');
      const e = await call(`${gw.url}/v1beta/models/gemini-2.5-pro:embedContent`, { headers: { 'x-goog-api-key': 'k' }, body: { content: { parts: [{ text: 'x' }] } } });
      assert.deepEqual(e.json.embedding.values, [0.1, 0.2, 0.3]);
    });

    test('Gemini CLI’s routing call (generateContent asking for JSON) gets JSON back', async () => {
      const r = await call(`${gw.url}/v1beta/models/gemini-2.5-pro:generateContent`, {
        headers: { 'x-goog-api-key': 'k' },
        body: { ...gen, generationConfig: { responseMimeType: 'application/json', responseJsonSchema: { type: 'object' }, temperature: 0 } },
      });
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.json.candidates[0].content.parts[0].text).model_choice, 'flash');
    });

    test('ThinkingRule reads thinkingConfig: a Gemini request labelled think (an OpenAI deployment) gets 400 naming both', async () => {
      const r = await call(`${gw.url}/v1beta/models/gemini-2.5-pro:generateContent`, { headers: { 'x-goog-api-key': 'k' }, body: { ...gen, generationConfig: { thinkingConfig: { thinkingBudget: 1024 } } } });
      assert.equal(r.status, 400);
      assert.match(r.json.error.message, /"gemini-2\.5-pro" routes to "think".*an OpenAI-format deployment.*Gemini generateContent.*does not translate/);
    });
  });

  describe('format mismatches: 400 naming both, nothing sent', () => {
    const cases: [string, string, object, RegExp][] = [
      ['embeddings to a Gemini deployment', '/v1/embeddings', { model: 'gemini-2.5-pro', input: 'x' }, /a Gemini-format deployment.*OpenAI embeddings/],
      ['Gemini to an Anthropic deployment', '/v1beta/models/claude-x:generateContent', { contents: [] }, /an Anthropic-format deployment.*Gemini generateContent/],
    ];
    for (const [name, path, body, message] of cases) {
      test(name, async () => {
        const counts = [anthropic.seen.length, openai.seen.length, gemini.seen.length];
        const r = await call(`${gw.url}${path}`, { body });
        assert.equal(r.status, 400);
        assert.match(r.json.error.message, message);
        assert.deepEqual([anthropic.seen.length, openai.seen.length, gemini.seen.length], counts);
      });
    }
  });

  describe('pass-through: provider paths with no model go to the first deployment of their API', () => {
    test('OpenAI: GET /v1/files, GET and DELETE /v1/responses/{id}, POST /v1/batches with its body; the client key goes along', async () => {
      const files = await call(`${gw.url}/v1/files?purpose=batch`, { method: 'GET', headers: { authorization: 'Bearer sk-client-key' } });
      assert.equal(files.status, 200);
      assert.deepEqual([files.json.method, files.json.url], ['GET', '/v1/files?purpose=batch']);
      assert.equal(openai.last('/v1/files').headers.authorization, 'Bearer sk-client-key');
      const got = await call(`${gw.url}/v1/responses/resp_123`, { method: 'GET' });
      assert.equal(got.json.url, '/v1/responses/resp_123');
      const del = await call(`${gw.url}/v1/responses/resp_123`, { method: 'DELETE' });
      assert.equal(del.json.method, 'DELETE');
      const batch = await call(`${gw.url}/v1/batches`, { body: { input_file_id: 'file-1', endpoint: '/v1/responses', completion_window: '24h' } });
      assert.equal(JSON.parse(batch.json.body).input_file_id, 'file-1');
    });

    test('Anthropic: /v1/messages/batches, and /v1/files with anthropic-version', async () => {
      await call(`${gw.url}/v1/messages/batches`, { headers: { 'x-api-key': 'sk-ant-api03-k' }, body: { requests: [{ custom_id: 'a', params: { model: 'claude-x', max_tokens: 5, messages: [] } }] } });
      const seen = anthropic.seen.at(-1)!;
      assert.equal(seen.url, '/v1/messages/batches');
      assert.equal(seen.headers['x-api-key'], 'sk-ant-api03-k');
      assert.equal(JSON.parse(seen.body.toString()).requests[0].custom_id, 'a');
      await call(`${gw.url}/v1/files`, { method: 'GET', headers: { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'files-api-2025-04-14' } });
      assert.equal(anthropic.seen.at(-1)!.url, '/v1/files');
    });

    test('Gemini: /v1beta/files with ?key= (moved to the header)', async () => {
      const r = await call(`${gw.url}/v1beta/files?pageSize=5&key=AIza-list`, { method: 'GET' });
      assert.equal(r.json.url, '/v1beta/files?pageSize=5');
      assert.equal(gemini.last('/v1beta/files').headers['x-goog-api-key'], 'AIza-list');
    });

    test('the gateway still answers GET /v1/models and /health itself; other paths are 404', async () => {
      const models = await call(`${gw.url}/v1/models`, { method: 'GET' });
      assert.ok(models.json.data.some((m: { id: string }) => m.id === 'gemini-2.5-pro'));
      assert.equal((await call(`${gw.url}/health`, { method: 'GET' })).json.status, 'healthy');
      assert.equal((await call(`${gw.url}/nothing`, { method: 'GET' })).status, 404);
      assert.equal((await call(`${gw.url}/v1/responses`, { method: 'GET' })).status, 405);
    });
  });
});
