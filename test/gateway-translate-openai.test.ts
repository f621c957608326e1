// OpenAI clients on translated routes, end to end with the official OpenAI SDK through the gateway: chat
// completions to an Anthropic deployment (a streamed tool round trip with tool_calls fragments and the usage-only
// chunk, a JSON answer), the Responses API to an Anthropic deployment and to an OpenAI chat-completions deployment
// (streamed tool round trips with function_call / function_call_output items, JSON answers; over the Responses
// WebSocket too), count_tokens to Anthropic-format deployments (estimated where there is none), provider errors in
// OpenAI's error shape, and requests that cannot be translated refused with a 400 that says why.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import WebSocket from 'ws';
import { startAnthropicStandIn, type AnthropicStandIn } from './helpers/anthropic-standin.js';
import { loadOrCreateCA } from '../src/proxy/tls/ca.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { ChatStandIn, TOOL_ARGS } from './helpers/translate-standins.js';

const BASH_PARAMS = { type: 'object', properties: { command: { type: 'string' }, description: { type: 'string' } }, required: ['command'] };
const CHAT_TOOLS: OpenAI.Chat.ChatCompletionTool[] = [{ type: 'function', function: { name: 'Bash', description: 'Run a shell command', parameters: BASH_PARAMS } }];
const RESPONSES_TOOLS: OpenAI.Responses.Tool[] = [{ type: 'function', name: 'Bash', description: 'Run a shell command', parameters: BASH_PARAMS, strict: false }];

describe('gateway: OpenAI chat and Responses clients translated to Anthropic and to OpenAI chat', () => {
  let claude: AnthropicStandIn;
  let chat: ChatStandIn;
  let gw: TestGateway;
  let client: OpenAI;
  before(async () => {
    claude = await startAnthropicStandIn();
    // The chat stand-in's certificate from the Anthropic stand-in's CA (loaded from its directory): one CA to trust.
    const ca = await loadOrCreateCA(dirname(claude.caPath));
    chat = await new ChatStandIn(await ca.pemFor('127.0.0.1')).start();
    const entry = (name: string, model: string, base: string, key: string) => `  - model_name: ${name}\n    litellm_params:\n      model: ${model}\n      api_base: ${base}\n      api_key: ${key}`;
    const configYaml = ['model_list:', entry('claude', 'anthropic/claude-sonnet-4-5', claude.url, 'sk-ant-deployment'), entry('local', 'hosted_vllm/qwen3-coder', `${chat.url}/v1`, 'sk-local'), entry('vllm-*', 'hosted_vllm/*', `${chat.url}/v1`, 'sk-local'), entry('compat', 'anthropic/glm-4.6', chat.url, 'sk-compat')].join('\n');
    gw = await startTestGateway({ configYaml }, { NODE_EXTRA_CA_CERTS: claude.caPath });
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-proj-client', maxRetries: 0 });
  });
  after(async () => {
    await gw?.stop();
    await claude?.close();
    await chat?.close();
  });

  test('chat completions → Anthropic: a streamed tool round trip, tool_calls fragments by index, the usage-only chunk', async () => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'system', content: 'You are an agent.' }, { role: 'user', content: 'Run the marker command.' }];
    const stream = await client.chat.completions.create({ model: 'claude', messages, tools: CHAT_TOOLS, stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    assert.ok(calls.length >= 3, 'the arguments arrive in fragments');
    assert.deepEqual(calls.map((c) => c.index), calls.map(() => 0));
    assert.match(calls[0]!.id!, /^toolu_standin_/);
    assert.equal(calls[0]!.function!.name, 'Bash');
    const args = JSON.parse(calls.map((c) => c.function?.arguments ?? '').join(''));
    assert.equal(args.command, claude.toolCommand);
    assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)!.choices[0]!.finish_reason, 'tool_calls');
    const last = chunks.at(-1)!;
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage!.prompt_tokens, 120);
    assert.ok(last.usage!.completion_tokens > 0);

    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    const answered = await client.chat.completions.create({
      model: 'claude',
      messages: [...messages, { role: 'assistant', content: text, tool_calls: [{ id: calls[0]!.id!, type: 'function', function: { name: 'Bash', arguments: JSON.stringify(args) } }] }, { role: 'tool', tool_call_id: calls[0]!.id!, content: claude.toolOutput }],
      tools: CHAT_TOOLS,
      stream: true,
    });
    let final = '';
    let finish: string | null = null;
    for await (const c of answered) {
      final += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      assert.equal(c.usage, undefined, 'no usage chunk unless asked for');
    }
    assert.equal(final, `${claude.finalPrefix}${claude.toolOutput}`);
    assert.equal(finish, 'stop');

    const seen = claude.messages().at(-1)!;
    const sent = JSON.parse(seen.body.toString());
    assert.equal(seen.url, '/v1/messages');
    assert.equal(seen.headers['x-api-key'], 'sk-ant-deployment');
    assert.equal(seen.headers.authorization, undefined, "the client's OpenAI key does not go to Anthropic");
    assert.equal(seen.headers['anthropic-version'], '2023-06-01');
    assert.equal(sent.model, 'claude-sonnet-4-5');
    assert.equal(sent.system, 'You are an agent.');
    assert.equal(sent.max_tokens, 32000);
    assert.deepEqual(sent.messages.map((m: { role: string }) => m.role), ['user', 'assistant', 'user']);
    assert.deepEqual(sent.messages[2].content, [{ type: 'tool_result', tool_use_id: calls[0]!.id, content: claude.toolOutput }]);
    assert.deepEqual(sent.tools, [{ name: 'Bash', description: 'Run a shell command', input_schema: BASH_PARAMS }]);
  });

  test('chat completions → Anthropic: a JSON answer', async () => {
    const c = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hello' }], max_tokens: 100 });
    assert.equal(c.object, 'chat.completion');
    assert.equal(c.choices[0]!.message.content, 'Hello from the Anthropic stand-in');
    assert.equal(c.choices[0]!.finish_reason, 'stop');
    assert.equal(c.usage!.prompt_tokens, 120);
    assert.equal(JSON.parse(claude.messages().at(-1)!.body.toString()).max_tokens, 100);
  });

  for (const [what, model] of [['Anthropic', 'claude'], ['OpenAI chat (hosted_vllm)', 'local']] as const) {
    test(`Responses → ${what}: a streamed tool round trip with function_call and function_call_output items`, async () => {
      const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Run the marker command.' }];
      const stream = await client.responses.create({ model, instructions: 'You are an agent.', input, tools: RESPONSES_TOOLS, stream: true });
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const e of stream) events.push(e);
      const types = events.map((e) => e.type);
      assert.equal(types[0], 'response.created');
      assert.equal(types.at(-1), 'response.completed');
      assert.ok(types.includes('response.output_item.added') && types.includes('response.function_call_arguments.delta') && types.includes('response.output_item.done'), types.join(' '));
      const completed = (events.at(-1) as OpenAI.Responses.ResponseCompletedEvent).response;
      const call = completed.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
      assert.equal(call.name, 'Bash');
      const args = JSON.parse(call.arguments);
      const deltas = events.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => (e as OpenAI.Responses.ResponseFunctionCallArgumentsDeltaEvent).delta).join('');
      assert.equal(deltas, call.arguments);
      assert.ok(completed.usage!.input_tokens > 0 && completed.usage!.output_tokens > 0, JSON.stringify(completed.usage));
      const output = model === 'claude' ? claude.toolOutput : 'hi';
      if (model === 'claude') assert.equal(args.command, claude.toolCommand);
      else assert.deepEqual(args, TOOL_ARGS);

      const next = await client.responses.create({ model, instructions: 'You are an agent.', input: [...input, ...(completed.output as OpenAI.Responses.ResponseInputItem[]), { type: 'function_call_output', call_id: call.call_id, output }], tools: RESPONSES_TOOLS, stream: true });
      let text = '';
      let done: OpenAI.Responses.Response | null = null;
      for await (const e of next) {
        if (e.type === 'response.output_text.delta') text += e.delta;
        if (e.type === 'response.completed') done = e.response;
      }
      assert.equal(text, model === 'claude' ? `${claude.finalPrefix}${claude.toolOutput}` : 'The tool said: hi');
      const message = done!.output.find((o) => o.type === 'message') as OpenAI.Responses.ResponseOutputMessage;
      assert.equal((message.content[0] as OpenAI.Responses.ResponseOutputText).text, text, 'response.completed carries the whole output');

      if (model === 'claude') {
        const sent = JSON.parse(claude.messages().at(-1)!.body.toString());
        assert.equal(sent.system, 'You are an agent.');
        assert.deepEqual(sent.messages.map((m: { role: string }) => m.role), ['user', 'assistant', 'user']);
        assert.equal(sent.messages[1].content.at(-1).type, 'tool_use');
        assert.equal(sent.messages[2].content[0].tool_use_id, call.call_id);
      } else {
        const seen = chat.seen.at(-1)!;
        assert.equal(seen.url, '/v1/chat/completions');
        const sent = JSON.parse(seen.body.toString());
        assert.deepEqual(sent.messages.map((m: { role: string }) => m.role), ['system', 'user', 'assistant', 'tool']);
        assert.equal(sent.messages[3].tool_call_id, call.call_id);
        assert.equal(seen.headers.authorization, 'Bearer sk-local');
      }
    });

    test(`Responses → ${what}: a JSON answer`, async () => {
      const r = await client.responses.create({ model, input: 'hello' });
      assert.equal(r.object, 'response');
      assert.equal(r.status, 'completed');
      assert.match(r.output_text, /^Hello from the (Anthropic|chat) stand-in$/);
    });
  }

  test("provider errors in OpenAI's shape with retry-after; what cannot be translated is a 400 that says why", async () => {
    await assert.rejects(client.responses.create({ model: 'vllm-status-429', input: 'x' }), (err: InstanceType<typeof OpenAI.RateLimitError>) => {
      assert.ok(err instanceof OpenAI.RateLimitError, String(err));
      assert.equal(err.headers?.get('retry-after'), '3');
      assert.match(err.message, /stand-in error 429/);
      return true;
    });
    await assert.rejects(client.chat.completions.create({ model: 'claude', n: 2, messages: [{ role: 'user', content: 'x' }] }), (err: InstanceType<typeof OpenAI.BadRequestError>) => {
      assert.ok(err instanceof OpenAI.BadRequestError);
      assert.match(err.message, /n: 2 choices.*Anthropic Messages/);
      return true;
    });
    await assert.rejects(client.responses.create({ model: 'claude', input: 'x', previous_response_id: 'resp_1' }), /previous_response_id/);
  });

  test('the Responses WebSocket (as Codex speaks it) to an Anthropic deployment: events as messages; previous_response_id of the same connection resolved', async () => {
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/v1/responses`, { headers: { authorization: 'Bearer sk-proj-client', 'openai-beta': 'responses_websockets=2026-02-06' } });
    const received: any[] = [];
    let wake = () => {};
    ws.on('message', (d) => {
      received.push(JSON.parse(d.toString()));
      wake();
    });
    await once(ws, 'open');
    const until = async (pred: (m: any) => boolean) => {
      for (;;) {
        const hit = received.find(pred);
        if (hit) return hit;
        if (ws.readyState === WebSocket.CLOSED) throw new Error(`closed; got ${JSON.stringify(received)}`);
        await new Promise<void>((r) => (wake = r));
      }
    };
    const tools = RESPONSES_TOOLS;
    ws.send(JSON.stringify({ type: 'response.create', model: 'claude', instructions: 'You are an agent.', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Run the marker command.' }] }], tools, store: false }));
    const first = (await until((m) => m.type === 'response.completed')).response;
    assert.equal(received[0].type, 'response.created');
    assert.deepEqual(received.map((m) => m.sequence_number), received.map((_, i) => i));
    const call = first.output.find((o: any) => o.type === 'function_call');
    assert.equal(JSON.parse(call.arguments).command, claude.toolCommand);
    received.length = 0;
    // Only the new item, as Codex sends it on the same connection.
    ws.send(JSON.stringify({ type: 'response.create', model: 'claude', instructions: 'You are an agent.', previous_response_id: first.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: claude.toolOutput }], tools, store: false }));
    const second = (await until((m) => m.type === 'response.completed')).response;
    const text = received.filter((m) => m.type === 'response.output_text.delta').map((m) => m.delta).join('');
    assert.equal(text, `${claude.finalPrefix}${claude.toolOutput}`);
    assert.equal(second.output.at(-1).content[0].text, text);
    const sent = JSON.parse(claude.messages().at(-1)!.body.toString());
    assert.deepEqual(sent.messages.map((m: { role: string }) => m.role), ['user', 'assistant', 'user'], 'the whole conversation went to the provider');
    ws.close();
    await once(ws, 'close');
  });

  test("count_tokens to Anthropic-format deployments: the provider's answer as it is; one without the endpoint (404): the estimate, marked", async () => {
    const body = JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'Count these words, please.' }] });
    const post = (model: string) => fetch(`${gw.url}/v1/messages/count_tokens`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: body.replace('"claude"', JSON.stringify(model)) });
    const real = await post('claude');
    assert.equal(real.status, 200);
    assert.deepEqual(await real.json(), { input_tokens: 42 });
    assert.equal(real.headers.get('x-ccproxy-token-count'), null);
    assert.equal(claude.seen.at(-1)!.url, '/v1/messages/count_tokens');
    const missing = await post('compat');
    assert.equal(missing.status, 200);
    assert.match(missing.headers.get('x-ccproxy-token-count') ?? '', /^estimate/);
    const n = ((await missing.json()) as { input_tokens: number }).input_tokens;
    assert.ok(n > 3 && n < 50, String(n));
    assert.equal(chat.seen.at(-1)!.url, '/v1/messages/count_tokens', 'the deployment was asked first');
  });
});
