import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newFlow } from '../flow/flow.js';
import type { WsMessage } from '../flow/websocket.js';
import { traceOf, turnId, withTurns } from './ws-turns.js';

const T0 = Date.UTC(2026, 10, 29, 12);
const msg = (seq: number, direction: 0 | 1, ms: number, data: unknown): WsMessage => ({ seq, direction, at: new Date(T0 + ms), opcode: 1, size: 0, payload: Buffer.from(JSON.stringify(data)), truncated: false });

function upgrade(id: string, parentId?: string) {
  const f = newFlow(id, 'forward');
  f.request.method = 'GET';
  f.request.path = '/v1/responses';
  f.response = { status: 101, headers: {}, body: null, bodySize: 0, bodyTruncated: false, contentType: null };
  f.timing = { start: T0, end: T0 + 9000 };
  if (parentId) f.parentId = parentId;
  return f;
}

test('a Responses WebSocket becomes one flow per response.create, its events an SSE answer; linked flows follow their turn', () => {
  const conn = upgrade('ws-1');
  const messages = [
    msg(0, 0, 100, { type: 'response.create', model: 'gpt-5.5', input: 'first' }),
    msg(1, 1, 200, { type: 'response.created', response: { id: 'r1' } }),
    msg(2, 1, 300, { type: 'response.completed', response: { id: 'r1', usage: { input_tokens: 3, output_tokens: 4 } } }),
    msg(3, 0, 5000, { type: 'response.create', model: 'gpt-5.5', input: 'second' }),
    msg(4, 1, 5100, { type: 'response.completed', response: { id: 'r2' } }),
  ];
  const providerCall = newFlow('http-1', 'forward');
  providerCall.parentId = 'ws-1';
  providerCall.timing = { start: T0 + 5050, end: T0 + 5090 };
  const other = newFlow('other', 'reverse');
  other.timing = { start: T0 + 1, end: T0 + 2 };
  const out = withTurns([conn, providerCall, other], (id) => (id === 'ws-1' ? messages : undefined));
  assert.deepEqual(out.map((f) => f.id), ['other', turnId('ws-1', 0), turnId('ws-1', 1), 'http-1']);
  const [, first, second, call] = out;
  assert.deepEqual(JSON.parse(first!.request.body!.toString()), { model: 'gpt-5.5', input: 'first' });
  assert.equal(first!.request.method, 'POST');
  assert.equal(first!.response!.contentType, 'text/event-stream');
  assert.match(first!.response!.body!.toString(), /^event: response\.created\ndata: \{"type":"response\.created".*\n\nevent: response\.completed\n/);
  assert.deepEqual([first!.timing.start, first!.timing.end, second!.timing.start], [T0 + 100, T0 + 300, T0 + 5000]);
  assert.equal(call!.parentId, turnId('ws-1', 1), 'the provider call made during the second turn');
  assert.equal(traceOf(turnId('ws-1', 1)), 'ws-1');
  assert.equal(traceOf('a~b'), 'a~b');
  assert.equal(withTurns([upgrade('ws-2')], () => []).map((f) => f.id).join(), 'ws-2', 'no turns: left as it is');
});
