import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, llmFlow } from '../../test/helpers/llm-flow.js';
import { WS_CLIENT_TO_SERVER, WS_SERVER_TO_CLIENT, type WsMessage } from '../flow/websocket.js';
import { extractWebSocketCalls, ResponsesWsReader } from './responses-ws.js';
import { priceTurns } from './priced.js';
import { PriceBook } from './prices.js';

/** The SSE fixture's events as the WebSocket sends them: one text message per event, 100 ms apart. */
function turn(seq: number, at: number, model: string, cutBefore?: string): WsMessage[] {
  const create = JSON.stringify({ type: 'response.create', model, input: [{ role: 'user', content: 'hi' }, { role: 'user', content: 'again' }], stream: true });
  const data = fixture('openai-responses-stream.sse').toString().split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
  const kept = cutBefore ? data.slice(0, data.findIndex((d) => d.includes(cutBefore))) : data;
  const msg = (i: number, direction: 0 | 1, text: string): WsMessage => ({ seq: seq + i, direction, at: new Date(at + i * 100), opcode: 1, size: text.length + 2, payload: Buffer.from(text), truncated: false });
  return [msg(0, WS_CLIENT_TO_SERVER, create), ...kept.map((d, i) => msg(i + 1, WS_SERVER_TO_CLIENT, d))];
}

test('Responses over a WebSocket: one call per response.create, usage from its response.completed', () => {
  const upgrade = llmFlow({ host: 'api.openai.com', path: '/v1/responses', method: 'GET', status: 101, response: null, responseHeaders: { 'x-ratelimit-remaining-requests': '99' } });
  const messages = [...turn(0, 1_000_000, 'gpt-5.5'), ...turn(100, 2_000_000, 'gpt-5.6-sol', 'response.completed')];
  const calls = extractWebSocketCalls(upgrade, messages);
  assert.equal(calls.length, 2);
  const [first, second] = calls as [NonNullable<(typeof calls)[0]>, NonNullable<(typeof calls)[0]>];
  assert.equal(first.api, 'openai-responses');
  assert.equal(first.requestedModel, 'gpt-5.5');
  assert.equal(first.messageCount, 2);
  assert.equal(first.streamed, true);
  assert.deepEqual(first.tokens, { input: 404, output: 300, cacheRead: 4096, cacheWrite5m: 500, cacheWrite1h: 0, reasoning: 256 });
  assert.deepEqual(first.toolCalls, ['shell']);
  assert.equal(first.timeToFirstTokenMs, 500, 'the first delta is the fifth event');
  assert.equal(first.quota!.limits.requests!.remaining, 99);
  assert.deepEqual(first.notes, []);
  assert.equal(second.requestedModel, 'gpt-5.6-sol');
  assert.equal(second.tokens.output, null);
  assert.ok(second.notes.includes('the stream ended before response.completed'));
});

test('a warm-up (generate: false) answered without usage is not billed; one with usage is priced as any turn', () => {
  const upgrade = llmFlow({ host: 'api.openai.com', path: '/v1/responses', method: 'GET', status: 101, response: null });
  const msg = (seq: number, direction: 0 | 1, data: unknown): WsMessage => ({ seq, direction, at: new Date(1_000_000 + seq * 10), opcode: 1, size: 0, payload: Buffer.from(JSON.stringify(data)), truncated: false });
  const warmup = { type: 'response.create', model: 'gpt-5.5', input: [], generate: false };
  const local = [msg(0, 0, warmup), msg(1, 1, { type: 'response.created', response: { id: 'w', status: 'in_progress', usage: null } }), msg(2, 1, { type: 'response.completed', response: { id: 'w', status: 'completed', output: [], usage: null } })];
  const reader = new ResponsesWsReader(upgrade);
  for (const m of local) reader.add(m);
  const [priced] = priceTurns(reader.finish(), new PriceBook());
  assert.deepEqual([priced!.cost.usd, priced!.cost.reason], [0, 'not billed: a warm-up (generate: false) that generated nothing']);
  const counted = new ResponsesWsReader(upgrade);
  for (const m of [msg(0, 0, warmup), msg(1, 1, { type: 'response.completed', response: { id: 'w', status: 'completed', output: [], usage: { input_tokens: 10, output_tokens: 0, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } } } })]) counted.add(m);
  const [billed] = priceTurns(counted.finish(), new PriceBook());
  assert.ok(billed!.cost.usd! > 0 && billed!.cost.reason === null, JSON.stringify(billed!.cost));
});
