// Translation's cost, measured beside same-format passthrough in one run: in-process, the CPU time to turn a
// Claude Code-sized Anthropic request into an OpenAI chat or Gemini body, and OpenAI chat and Codex-sized Responses
// requests into Anthropic Messages (against the parse + re-serialise every routed request gets), and to turn one
// streamed event into the client's (against passing its bytes on); through the running gateway, for each
// direction, the time to the first streamed byte of a translated stream against the same upstream stream passed
// through in its own format, at p50.
import { performance } from 'node:perf_hooks';
import { createParser } from 'eventsource-parser';
import { request } from 'undici';
import type { AnthropicRequest } from '../src/translate/anthropic.js';
import { fromChatRequest } from '../src/translate/from-chat-request.js';
import { OpenAIStreamTranslator } from '../src/translate/from-openai-stream.js';
import { fromResponsesRequest } from '../src/translate/from-responses-request.js';
import { ChatStreamWriter } from '../src/translate/to-chat-stream.js';
import { responsesSse, ResponsesStreamWriter } from '../src/translate/to-responses.js';
import { toGeminiRequest } from '../src/translate/to-gemini-request.js';
import { toOpenAIRequest } from '../src/translate/to-openai-request.js';
import { median } from './median.js';

const FIRST_BYTE_TARGET_MS = 2;
const ROUNDS = 5;

/** A request the size of a Claude Code turn some way into a session: 15 tools, 40 messages with tool calls. */
export function claudeCodeRequest(model: string): AnthropicRequest {
  const tools = Array.from({ length: 15 }, (_, i) => ({ name: `Tool${i}`, description: 'Does a thing. '.repeat(40), input_schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', additionalProperties: false, properties: { path: { type: 'string', description: 'a path' }, limit: { type: 'integer' }, mode: { type: 'string', enum: ['a', 'b'] } }, required: ['path'] } }));
  const messages: AnthropicRequest['messages'] = [];
  for (let i = 0; i < 20; i++) {
    messages.push({ role: 'user', content: i === 0 ? 'Fix the failing test.' : [{ type: 'tool_result', tool_use_id: `toolu_${i}`, content: 'line of output\n'.repeat(30) }] });
    messages.push({ role: 'assistant', content: [{ type: 'text', text: 'Looking at the file next.' }, { type: 'tool_use', id: `toolu_${i + 1}`, name: `Tool${i % 15}`, input: { path: `/src/file${i}.ts`, limit: 200 } }] });
  }
  messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_21', content: 'ok' }] });
  return { model, max_tokens: 32000, stream: true, system: [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.3; cch=1;' }, { type: 'text', text: 'You are Claude Code. '.repeat(300), cache_control: { type: 'ephemeral' } }], tools, messages, thinking: { type: 'enabled', budget_tokens: 8000 } };
}

/** A Codex turn some way into a session: instructions, 40 items with function calls and their outputs, 10 tools. */
function responsesRequest(): Record<string, unknown> {
  const input: unknown[] = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Fix the failing test.' }] }];
  for (let i = 0; i < 20; i++) {
    input.push({ type: 'function_call', call_id: `call_${i}`, name: 'shell', arguments: JSON.stringify({ command: ['cat', `/src/file${i}.ts`] }) });
    input.push({ type: 'function_call_output', call_id: `call_${i}`, output: 'line of output\n'.repeat(30) });
  }
  const tools = Array.from({ length: 10 }, (_, i) => ({ type: 'function', name: `tool${i}`, description: 'Does a thing. '.repeat(40), parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] }, strict: false }));
  return { model: 'claude-bench', instructions: 'You are Codex. '.repeat(300), input, tools, stream: true, store: false, reasoning: { effort: 'medium' } };
}

/** Microseconds per call of `fn`, the median of ROUNDS rounds of `n` calls. */
function perCall(n: number, fn: () => unknown): number {
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) fn();
    rounds.push(((performance.now() - t) * 1000) / n);
  }
  return median(rounds);
}

export function translationCosts(): { label: string; us: number }[] {
  const text = JSON.stringify(claudeCodeRequest('gpt-5'));
  const chunk = `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_760_000_000, model: 'gpt-bench', choices: [{ index: 0, delta: { content: 'word ' }, finish_reason: null }] })}\n\n`;
  const N = 300;
  const EVENTS = 50_000;
  const passthrough = perCall(N, () => JSON.stringify(JSON.parse(text)));
  const toChat = perCall(N, () => JSON.stringify(toOpenAIRequest(JSON.parse(text) as AnthropicRequest, { provider: 'openai' }).body));
  const toGemini = perCall(N, () => JSON.stringify(toGeminiRequest(JSON.parse(text) as AnthropicRequest).body));
  const chatText = JSON.stringify(toOpenAIRequest(JSON.parse(text) as AnthropicRequest, { provider: 'openai' }).body);
  const fromChat = perCall(N, () => JSON.stringify(fromChatRequest(JSON.parse(chatText) as Record<string, unknown>).request));
  const responsesText = JSON.stringify(responsesRequest());
  const fromResponses = perCall(N, () => JSON.stringify(fromResponsesRequest(JSON.parse(responsesText) as Record<string, unknown>).request));
  let out = 0;
  const delta = `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'word ' } })}\n\n`;
  const chatWriter = new ChatStreamWriter('claude-bench', true);
  const responsesWriter = new ResponsesStreamWriter('claude-bench', new Set(), (e) => (out += responsesSse(e).length));
  const start = { type: 'message_start', message: { id: 'msg_bench', usage: { input_tokens: 3 } } };
  const block = { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } };
  for (const e of [start, block]) {
    chatWriter.event(e);
    responsesWriter.event(e);
  }
  const toChatParser = createParser({ onEvent: (e) => (out += chatWriter.event(JSON.parse(e.data)).length) });
  const toResponsesParser = createParser({ onEvent: (e) => responsesWriter.event(JSON.parse(e.data)) });
  const chatEvent = perCall(EVENTS, () => toChatParser.feed(delta));
  const responsesEvent = perCall(EVENTS, () => toResponsesParser.feed(delta));
  const machine = new OpenAIStreamTranslator('claude-bench');
  const parser = createParser({ onEvent: (e) => (out += machine.data(e.data).length) });
  parser.feed(chunk);
  const perEvent = perCall(EVENTS, () => parser.feed(chunk));
  const copyEvent = perCall(EVENTS, () => (out += Buffer.byteLength(chunk)));
  return [
    { label: `request ${(text.length / 1024).toFixed(0)} KB: same-format (parse + serialise)`, us: passthrough },
    { label: 'request: translated to OpenAI chat', us: toChat },
    { label: 'request: translated to Gemini', us: toGemini },
    { label: 'request: OpenAI chat → Anthropic Messages', us: fromChat },
    { label: 'request: Responses (Codex-sized) → Anthropic Messages', us: fromResponses },
    { label: 'streamed event: same-format (bytes passed on)', us: copyEvent },
    { label: 'streamed event: chat chunk → Anthropic events', us: perEvent },
    { label: 'streamed event: Anthropic event → chat chunk', us: chatEvent },
    { label: 'streamed event: Anthropic event → Responses event', us: responsesEvent },
  ];
}

/** Milliseconds from sending a request to its first body byte, p50 over `n` sequential requests. */
async function firstByte(url: string, body: string, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    let first = true;
    for await (const _ of res.body) {
      if (first) times.push(performance.now() - t);
      first = false;
    }
    if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode}`);
  }
  return median(times);
}

interface Direction {
  label: string;
  /** The same provider stream passed through untouched: path and body. */
  same: [string, string];
  translated: [string, string];
}

/** Each translated direction against a same-format stream of the same upstream answer, through the same gateway. */
function directions(): Direction[] {
  const hi = [{ role: 'user', content: 'hi' }];
  const messages = (model: string) => ['/v1/messages', JSON.stringify({ model, max_tokens: 256, stream: true, messages: hi })] as [string, string];
  const chat = (model: string) => ['/v1/chat/completions', JSON.stringify({ model, max_tokens: 256, stream: true, stream_options: { include_usage: true }, messages: hi })] as [string, string];
  const responses = (model: string) => ['/v1/responses', JSON.stringify({ model, max_output_tokens: 256, stream: true, input: 'hi' })] as [string, string];
  return [
    { label: 'Anthropic client → OpenAI chat deployment', same: chat('gpt-bench'), translated: messages('gpt-bench') },
    { label: 'OpenAI chat client → Anthropic deployment', same: messages('claude-sse'), translated: chat('claude-sse') },
    { label: 'Responses client → Anthropic deployment', same: messages('claude-sse'), translated: responses('claude-sse') },
    { label: 'Responses client → OpenAI chat deployment', same: chat('vllm-bench'), translated: responses('vllm-bench') },
  ];
}

export interface FirstByte {
  label: string;
  same: number;
  translated: number;
}

/** First-byte p50 through the gateway for every direction, same-format and translated in interleaved rounds. */
export async function firstByteOverhead(gatewayUrl: string): Promise<FirstByte[]> {
  const out: FirstByte[] = [];
  for (const d of directions()) {
    await firstByte(gatewayUrl + d.same[0], d.same[1], 20);
    await firstByte(gatewayUrl + d.translated[0], d.translated[1], 20);
    const same: number[] = [];
    const translated: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      same.push(await firstByte(gatewayUrl + d.same[0], d.same[1], 100));
      translated.push(await firstByte(gatewayUrl + d.translated[0], d.translated[1], 100));
    }
    out.push({ label: d.label, same: median(same), translated: median(translated) });
  }
  return out;
}

export function reportTranslation(costs: { label: string; us: number }[], fb: FirstByte[]): boolean {
  console.log('\ngateway translation: CPU per request and per streamed event (in-process, median of rounds)');
  for (const c of costs) console.log(`  ${c.label.padEnd(58)} ${c.us.toFixed(2).padStart(9)} µs`);
  console.log(`\ngateway translation: first streamed byte, p50 over sequential requests through the gateway, against the same upstream stream passed through`);
  console.log('direction                                   | same-format ms | translated ms | overhead ms');
  console.log('--------------------------------------------+----------------+---------------+------------');
  let ok = true;
  for (const f of fb) {
    const overhead = f.translated - f.same;
    ok &&= overhead < FIRST_BYTE_TARGET_MS;
    console.log(`${f.label.padEnd(43)} | ${f.same.toFixed(3).padStart(14)} | ${f.translated.toFixed(3).padStart(13)} | ${overhead.toFixed(3).padStart(11)}`);
  }
  const worst = Math.max(...fb.map((f) => f.translated - f.same));
  console.log(`  ${ok ? 'ok          ' : 'BELOW TARGET'}  translation's first-byte overhead at p50 < ${FIRST_BYTE_TARGET_MS} ms in every direction: at most ${worst.toFixed(3)} ms`);
  return ok;
}
