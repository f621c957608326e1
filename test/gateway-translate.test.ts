// Translated routes end to end: the official Anthropic SDK through the gateway to an OpenAI chat-completions
// stand-in and a Gemini stand-in (HTTPS, their real wire formats), streaming with tools through a whole tool round
// trip, JSON answers, provider errors as Anthropic errors, a stream that breaks off, a client that leaves, and
// providers the gateway cannot call; count_tokens for both, the estimated input_tokens of an OpenAI stream's
// message_start, Gemini's context cache from cache_control, and OpenAI clients (chat completions, the Responses
// WebSocket) to the Gemini deployment.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { request } from 'undici';
import WebSocket from 'ws';
import { once } from 'node:events';
import { providerCA, startTestGateway, type TestGateway } from './helpers/gateway.js';
import { ChatStandIn, GeminiToolStandIn, SIGNATURE, TOOL_ARGS } from './helpers/translate-standins.js';

const BASH = { name: 'Bash', description: 'Run a shell command', input_schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' as const, additionalProperties: false, properties: { command: { type: 'string' } }, required: ['command'] } };

function models(chat: string, gemini: string): string {
  const entry = (name: string, model: string, base: string, key = 'sk-deployment') => `  - model_name: ${name}\n    litellm_params:\n      model: ${model}\n      api_base: ${base}\n      api_key: ${key}`;
  return [
    'model_list:',
    entry('local', 'hosted_vllm/qwen3-coder', `${chat}/v1`),
    entry('chat-*', 'openai/*', `${chat}/v1`),
    entry('flash', 'gemini/gemini-2.5-flash', gemini, 'AIza-deployment'),
    entry('gem-*', 'gemini/*', gemini, 'AIza-deployment'),
    entry('keyless', 'openai/gpt-4o', `${chat}/v1`).replace(/\n\s+api_key: .*/, ''),
    '  - model_name: vertex\n    litellm_params:\n      model: vertex_ai/gemini-2.5-pro',
    '  - model_name: bedrock\n    litellm_params:\n      model: bedrock/anthropic.claude-3-5-sonnet',
  ].join('\n');
}

async function raw(url: string, body: object, signal?: AbortSignal) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-client' }, body: JSON.stringify(body), signal });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

describe('gateway: Anthropic Messages translated to OpenAI chat and Gemini', () => {
  let ca: Awaited<ReturnType<typeof providerCA>>;
  let chat: ChatStandIn;
  let gemini: GeminiToolStandIn;
  let gw: TestGateway;
  let sdk: Anthropic;
  before(async () => {
    ca = await providerCA();
    chat = await new ChatStandIn(await ca.pemFor('127.0.0.1')).start();
    gemini = await new GeminiToolStandIn(await ca.pemFor('127.0.0.1')).start();
    gw = await startTestGateway({ configYaml: models(chat.url, gemini.url) }, { NODE_EXTRA_CA_CERTS: ca.certPath });
    sdk = new Anthropic({ baseURL: gw.url, apiKey: 'sk-ant-api03-client', maxRetries: 0 });
  });
  after(async () => {
    await gw?.stop();
    await chat?.close();
    await gemini?.close();
    ca?.remove();
  });

  for (const [what, model, standIn] of [['OpenAI chat (hosted_vllm)', 'local', () => chat], ['Gemini', 'flash', () => gemini]] as const) {
    test(`${what}: a streamed tool round trip with the SDK`, async () => {
      const system = [{ type: 'text' as const, text: 'x-anthropic-billing-header: cc_version=2.1.3.abc; cch=12345;' }, { type: 'text' as const, text: 'You are a coding agent.', cache_control: { type: 'ephemeral' as const } }];
      const first = [{ role: 'user' as const, content: 'Say hi with the shell.' }];
      const asked = await sdk.messages.stream({ model, max_tokens: 1024, system, tools: [BASH], messages: first }).finalMessage();
      assert.equal(asked.stop_reason, 'tool_use');
      assert.deepEqual(asked.content.map((b) => b.type), ['text', 'tool_use']);
      assert.equal((asked.content[0] as Anthropic.TextBlock).text, 'Let me run it.');
      const use = asked.content[1] as Anthropic.ToolUseBlock;
      assert.equal(use.name, 'Bash');
      assert.deepEqual(use.input, TOOL_ARGS);
      assert.ok(asked.usage.output_tokens > 0);

      const answered = await sdk.messages
        .stream({ model, max_tokens: 1024, system, tools: [BASH], messages: [...first, { role: 'assistant', content: asked.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: [{ type: 'text', text: 'hi' }] }] }] })
        .finalMessage();
      assert.equal(answered.stop_reason, 'end_turn');
      assert.equal((answered.content[0] as Anthropic.TextBlock).text, 'The tool said: hi');

      const seen = standIn().seen.at(-1)!;
      const sent = JSON.parse(seen.body.toString());
      assert.ok(!seen.body.toString().includes('x-anthropic-billing-header'), 'the billing header is not sent');
      assert.equal(seen.headers['anthropic-version'], undefined);
      assert.equal(seen.headers['x-api-key'], undefined);
      if (model === 'local') {
        assert.equal(seen.url, '/v1/chat/completions');
        assert.equal(seen.headers.authorization, 'Bearer sk-deployment');
        assert.equal(sent.model, 'qwen3-coder');
        assert.deepEqual(sent.stream_options, { include_usage: true });
        assert.deepEqual(sent.messages.map((m: { role: string }) => m.role), ['system', 'user', 'assistant', 'tool']);
        assert.equal(sent.messages[3].tool_call_id, 'call_standin1');
        assert.equal(asked.usage.input_tokens, 30);
        assert.equal(asked.usage.cache_read_input_tokens, 20);
      } else {
        assert.equal(seen.url, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
        assert.equal(seen.headers['x-goog-api-key'], 'AIza-deployment');
        assert.deepEqual(sent.tools[0].functionDeclarations[0].parameters, { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] });
        const model = sent.contents[1].parts.find((p: { functionCall?: unknown }) => p.functionCall);
        assert.equal(model.thoughtSignature, SIGNATURE, 'the thought signature goes back with its call');
        assert.equal(sent.contents[2].parts[0].functionResponse.name, 'Bash');
        assert.equal(asked.usage.input_tokens, 40);
      }
    });

    test(`${what}: a JSON answer with the SDK`, async () => {
      const m = await sdk.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] });
      assert.equal(m.type, 'message');
      assert.equal(m.stop_reason, 'end_turn');
      assert.match((m.content[0] as Anthropic.TextBlock).text, /Hello from the/);
    });
  }

  test("the client's Anthropic key or token never reaches the other provider", async () => {
    for (const auth of [{ apiKey: 'sk-ant-api03-secret' }, { authToken: 'sk-ant-oat01-secret' }]) {
      const m = await new Anthropic({ baseURL: gw.url, ...auth, maxRetries: 0 }).messages.create({ model: 'keyless', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] });
      assert.equal(m.stop_reason, 'end_turn');
    }
    for (const seen of chat.seen.slice(-2)) {
      assert.equal(seen.headers.authorization, undefined);
      assert.equal(seen.headers['x-api-key'], undefined);
      assert.doesNotMatch(JSON.stringify(seen.headers), /sk-ant/);
    }
  });

  test('provider errors become Anthropic errors the SDK knows, with retry-after', async () => {
    await assert.rejects(sdk.messages.create({ model: 'chat-status-429', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }), (err: InstanceType<typeof Anthropic.RateLimitError>) => {
      assert.ok(err instanceof Anthropic.RateLimitError);
      const h = err.headers as unknown;
      assert.equal(h instanceof Headers ? h.get('retry-after') : (h as Record<string, string>)['retry-after'], '3');
      return true;
    });
    const overloaded = await raw(`${gw.url}/v1/messages`, { model: 'chat-status-503', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(overloaded.status, 529);
    assert.equal(JSON.parse(overloaded.text).error.type, 'overloaded_error');
    const quota = await raw(`${gw.url}/v1/messages`, { model: 'gem-status-429', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(quota.status, 429);
    assert.equal(quota.headers['retry-after'], '12');
    assert.equal(JSON.parse(quota.text).error.type, 'rate_limit_error');
  });

  test('a stream that breaks off mid-way ends with an SSE error event', async () => {
    const r = await raw(`${gw.url}/v1/messages`, { model: 'chat-vanish', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(r.status, 200);
    assert.match(r.text, /event: message_start/);
    assert.match(r.text, /event: error\ndata: \{"type":"error","error":\{"type":"api_error"/);
    assert.doesNotMatch(r.text, /message_stop/);
  });

  for (const [model, standIn] of [['chat-hang', () => chat], ['gem-hang', () => gemini]] as const) {
    test(`a client that leaves cancels the provider request (${model})`, async () => {
      const abort = new AbortController();
      const res = await request(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'x' }] }), signal: abort.signal });
      for await (const chunk of res.body) {
        if (String(chunk).includes('content_block_delta')) break;
      }
      abort.abort();
      await standIn().closed;
    });
  }

  test('vertex_ai and bedrock deployments: 501 naming the provider', async () => {
    for (const [model, provider] of [['vertex', 'vertex_ai'], ['bedrock', 'bedrock']]) {
      const r = await raw(`${gw.url}/v1/messages`, { model, max_tokens: 8, messages: [{ role: 'user', content: 'x' }] });
      assert.equal(r.status, 501);
      assert.match(JSON.parse(r.text).error.message, new RegExp(`provider "${provider}" is not supported`));
    }
  });

  test("count_tokens: Gemini's countTokens with the whole request; an OpenAI-format deployment: a local estimate, marked", async () => {
    const body = { system: 'You are terse.', tools: [BASH], messages: [{ role: 'user', content: 'Count these words, please.' }] };
    const g = await sdk.messages.countTokens({ model: 'flash', ...body } as never).asResponse();
    assert.equal(g.status, 200);
    assert.equal(g.headers.get('x-ccproxy-token-count'), 'provider');
    assert.deepEqual(await g.json(), { input_tokens: 7 }, 'the stand-in counts the system prompt too');
    const seen = gemini.seen.at(-1)!;
    assert.equal(seen.url, '/v1beta/models/gemini-2.5-flash:countTokens');
    const sent = JSON.parse(seen.body.toString());
    assert.equal(sent.generateContentRequest.model, 'models/gemini-2.5-flash');
    assert.equal(sent.generateContentRequest.systemInstruction.parts[0].text, 'You are terse.');
    assert.equal(sent.generateContentRequest.tools[0].functionDeclarations[0].name, 'Bash');

    const o = await sdk.messages.countTokens({ model: 'local', ...body } as never).asResponse();
    assert.equal(o.status, 200);
    assert.match(o.headers.get('x-ccproxy-token-count') ?? '', /^estimate/);
    const n = ((await o.json()) as { input_tokens: number }).input_tokens;
    assert.ok(n > 10 && n < 200, String(n));
    // A Gemini deployment whose countTokens fails: the estimate, not the failure.
    const f = await raw(`${gw.url}/v1/messages/count_tokens`, { model: 'gem-status-500', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(f.status, 200);
    assert.match(String(f.headers['x-ccproxy-token-count']), /^estimate/);
  });

  test("a streamed answer from an OpenAI-format deployment: message_start carries an estimated input_tokens, marked; message_delta the provider's", async () => {
    const r = await raw(`${gw.url}/v1/messages`, { model: 'local', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'The quick brown fox jumps over the lazy dog. '.repeat(30) }] });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['x-ccproxy-input-tokens']), /^estimate/);
    const start = JSON.parse(/event: message_start\ndata: (.*)/.exec(r.text)![1]!);
    assert.ok(start.message.usage.input_tokens > 250, JSON.stringify(start.message.usage));
    const delta = JSON.parse(/event: message_delta\ndata: (.*)/.exec(r.text)![1]!);
    assert.equal(delta.usage.input_tokens, 30);
  });

  test("cache_control on a Gemini route: the cached part becomes a cachedContents object with the TTL, created once and named by the requests that share it", async () => {
    const system = [{ type: 'text' as const, text: 'You are a careful agent. '.repeat(200), cache_control: { type: 'ephemeral' as const, ttl: '1h' as const } }];
    const context = { role: 'user' as const, content: [{ type: 'text' as const, text: 'Here is the project.', cache_control: { type: 'ephemeral' as const } }] };
    const ask = (q: string) => sdk.messages.create({ model: 'flash', max_tokens: 64, system, messages: [context, { role: 'assistant', content: 'Read it.' }, { role: 'user', content: q }] });
    const creates = () => gemini.seen.filter((s) => s.url === '/v1beta/cachedContents');
    const before = creates().length;
    const first = await ask('First question?');
    assert.equal(creates().length, before + 1);
    const made = JSON.parse(creates().at(-1)!.body.toString());
    assert.equal(made.model, 'models/gemini-2.5-flash');
    assert.equal(made.ttl, '3600s');
    assert.deepEqual(made.contents, [{ role: 'user', parts: [{ text: 'Here is the project.' }] }]);
    assert.match(made.systemInstruction.parts[0].text, /^You are a careful agent/);
    const sent = JSON.parse(gemini.seen.at(-1)!.body.toString());
    assert.match(sent.cachedContent, /^cachedContents\/standin\d+$/);
    assert.equal(sent.systemInstruction, undefined);
    assert.deepEqual(sent.contents.map((c: { role: string }) => c.role), ['model', 'user']);
    assert.equal(first.usage.cache_read_input_tokens, 30);

    await ask('Second question?');
    assert.equal(creates().length, before + 1, 'the same prefix reuses the object');
    assert.equal(JSON.parse(gemini.seen.at(-1)!.body.toString()).cachedContent, sent.cachedContent);

    // Too small for Gemini to cache: sent whole, and not tried again while the TTL lasts.
    const small = (q: string) => sdk.messages.create({ model: 'flash', max_tokens: 64, system: [{ type: 'text', text: 'Brief.', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: q }] });
    await small('a');
    await small('b');
    assert.equal(creates().length, before + 2);
    const whole = JSON.parse(gemini.seen.at(-1)!.body.toString());
    assert.equal(whole.cachedContent, undefined);
    assert.equal(whole.systemInstruction.parts[0].text, 'Brief.');
  });

  test('the Responses WebSocket to a Gemini deployment: streamGenerateContent, its chunks as Responses events', async () => {
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/v1/responses`, { headers: { authorization: 'Bearer sk-client' } });
    await once(ws, 'open');
    const received: { type: string; delta?: string; response?: { status: string } }[] = [];
    const done = new Promise<void>((resolve) => ws.on('message', (d) => {
      const e = JSON.parse(d.toString());
      received.push(e);
      if (e.type === 'response.completed' || e.type === 'error') resolve();
    }));
    ws.send(JSON.stringify({ type: 'response.create', model: 'flash', input: 'hello' }));
    await done;
    assert.equal(received.at(-1)!.type, 'response.completed', JSON.stringify(received.at(-1)));
    assert.equal(received.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join(''), 'Hello from the Gemini stand-in');
    assert.equal(gemini.seen.at(-1)!.url, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    ws.close();
    await once(ws, 'close');
  });

  test('OpenAI chat completions to a Gemini deployment (through Anthropic Messages): a streamed tool call, then the answer', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client', maxRetries: 0 });
    const tools: OpenAI.Chat.ChatCompletionTool[] = [{ type: 'function', function: { name: 'Bash', parameters: { type: 'object', properties: { command: { type: 'string' } } } } }];
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const c of await client.chat.completions.create({ model: 'flash', messages: [{ role: 'user', content: 'Say hi with the shell.' }], tools, stream: true, stream_options: { include_usage: true } })) chunks.push(c);
    const call = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])[0]!;
    assert.equal(call.function!.name, 'Bash');
    assert.deepEqual(JSON.parse(chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).map((t) => t.function?.arguments ?? '').join('')), TOOL_ARGS);
    assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)!.choices[0]!.finish_reason, 'tool_calls');
    assert.equal(chunks.at(-1)!.usage!.prompt_tokens, 40);
    const answer = await client.chat.completions.create({ model: 'flash', tools, messages: [{ role: 'user', content: 'Say hi with the shell.' }, { role: 'assistant', content: null, tool_calls: [{ id: call.id!, type: 'function', function: { name: 'Bash', arguments: JSON.stringify(TOOL_ARGS) } }] }, { role: 'tool', tool_call_id: call.id!, content: 'hi' }] });
    assert.equal(answer.choices[0]!.message.content, 'The tool said: hi');
    const sent = JSON.parse(gemini.seen.at(-1)!.body.toString());
    assert.equal(sent.contents.at(-1).parts[0].functionResponse.name, 'Bash');
    assert.equal(sent.contents[1].parts[0].thoughtSignature, SIGNATURE, "Gemini's signature rode in the call id through the OpenAI client");
  });
});
