import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PassThrough, Writable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { assertValidHar } from '../../test/helpers/har-validate.js';
import { newFlow, type Flow } from '../flow/flow.js';
import type { WsMessage } from '../flow/websocket.js';
import { entryTimings, flowToEntry } from './har-entry.js';
import { writeHar } from './har.js';

const t0 = Date.UTC(2026, 10, 28, 12, 0, 0, 0);

function flow(over: Partial<Flow> = {}): Flow {
  const f = newFlow('t-1', 'forward');
  f.sessionId = 'sess';
  f.trafficType = 'llm';
  f.server = { address: '127.0.0.2', port: 443, https: true };
  f.request = {
    method: 'POST',
    url: 'https://api.anthropic.com/v1/messages?beta=true&x=a%20b',
    originalUrl: null,
    host: 'api.anthropic.com',
    path: '/v1/messages?beta=true&x=a%20b',
    headers: { 'content-type': 'application/json', 'x-api-key': '[redacted len=108 sha256=1a2b3c4d]', cookie: 'a=1; b=two', 'anthropic-beta': ['x', 'y'] },
    body: Buffer.from('{"model":"claude-opus-4-8"}'),
    bodySize: 27,
    bodyTruncated: false,
    contentType: 'application/json',
  };
  f.response = {
    status: 200,
    headers: { 'content-type': 'application/json', 'set-cookie': ['s=abc; Path=/; HttpOnly; Secure; SameSite=Lax', 'e=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT'] },
    body: Buffer.from('{"ok":true}'),
    bodySize: 11,
    bodyTruncated: false,
    contentType: 'application/json',
  };
  f.timing = { start: t0, firstByte: t0 + 250, end: t0 + 400, connection: { dnsMs: 2, connectMs: 3, tlsMs: 10 } };
  return { ...f, ...over };
}

test('an exchange as an entry: request, response, headers, query, cookies, address, timings that add up', () => {
  const e = flowToEntry(flow());
  assert.equal(e.startedDateTime, '2026-11-28T12:00:00.000Z');
  assert.equal(e.serverIPAddress, '127.0.0.2');
  assert.deepEqual(e.request.queryString, [
    { name: 'beta', value: 'true' },
    { name: 'x', value: 'a b' },
  ]);
  assert.deepEqual(
    e.request.headers.filter((h) => h.name === 'anthropic-beta'),
    [
      { name: 'anthropic-beta', value: 'x' },
      { name: 'anthropic-beta', value: 'y' },
    ],
  );
  assert.deepEqual(e.request.cookies, [
    { name: 'a', value: '1' },
    { name: 'b', value: 'two' },
  ]);
  assert.deepEqual(e.request.postData, { mimeType: 'application/json', text: '{"model":"claude-opus-4-8"}' });
  assert.deepEqual(e.response.cookies[0], { name: 's', value: 'abc', path: '/', httpOnly: true, secure: true, sameSite: 'Lax' });
  assert.equal(e.response.cookies[1]!.expires, '2026-10-21T07:28:00.000Z');
  assert.equal(e.response.statusText, 'OK');
  assert.deepEqual(e.response.content, { size: 11, mimeType: 'application/json', text: '{"ok":true}', compression: 0 });
  // HAR's connect includes ssl; the wait is what is left of the time to the first byte.
  assert.deepEqual(e.timings, { blocked: -1, dns: 2, connect: 13, ssl: 10, send: 0, wait: 235, receive: 150 });
  assert.equal(e.time, 400);
  assert.deepEqual(e._ccproxy, { trace_id: 't-1', direction: 'forward', session_id: 'sess', traffic_type: 'llm' });
  assertValidHar({ log: { version: '1.2', creator: { name: 'ccproxy', version: '0' }, entries: [e] } });
});

test('timings not known are -1 where HAR allows it; a reused connection has no set-up', () => {
  const f = flow();
  f.timing = { start: t0, end: t0 + 90 };
  assert.deepEqual(entryTimings(f), { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait: 90, receive: 0 });
  f.timing = { start: t0, firstByte: t0 + 10, end: t0 + 90, connection: { dnsMs: null, connectMs: 1.5, tlsMs: null } };
  assert.deepEqual(entryTimings(f), { blocked: -1, dns: -1, connect: 1.5, ssl: -1, send: 0, wait: 8.5, receive: 80 });
  // An upload that ended 6 ms after the start: sending runs from the set-up's end to there, the wait after it.
  f.timing = { ...f.timing, requestSent: 6 };
  assert.deepEqual(entryTimings(f), { blocked: -1, dns: -1, connect: 1.5, ssl: -1, send: 4.5, wait: 4, receive: 80 });
});

test('binary bodies are base64 with encoding; a body cut mid-character stays text; compression is wire minus decoded', () => {
  const bin = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 0xff]);
  const cut = Buffer.from('héllo wörld', 'utf8').subarray(0, 8); // ends inside "ö"
  const f = flow({
    request: { ...flow().request, body: bin, bodySize: bin.length, contentType: 'application/octet-stream', headers: {} },
    response: { status: 200, headers: { 'content-encoding': 'gzip' }, body: cut, bodySize: 5, bodyTruncated: true, contentType: 'text/plain' },
  });
  const e = flowToEntry(f);
  assert.equal(e.request.postData!.text, bin.toString('base64'));
  assert.equal((e.request.postData as { encoding?: string }).encoding, 'base64');
  assert.equal(e.response.content.text, 'héllo w');
  assert.equal(e.response.content.encoding, undefined);
  assert.match(e.response.content.comment!, /cut at 8 of 5 bytes/);
  const gz = flowToEntry(flow({ response: { ...flow().response!, body: Buffer.alloc(1000, 97), bodySize: 30, headers: { 'content-encoding': 'gzip' } } }));
  assert.equal(gz.response.content.size, 1000);
  assert.equal(gz.response.content.compression, 970);
  assert.equal(gz.response.bodySize, 30);
  assertValidHar({ log: { version: '1.2', creator: { name: 'ccproxy', version: '0' }, entries: [e, gz] } });
});

test('a failed exchange: status 0 and _error, as Chromium writes it; no address when the server was never reached', () => {
  const f = flow({ response: null, error: { type: 'connect_failed', message: 'connect ECONNREFUSED 127.0.0.2:443' }, server: { address: null, port: 443, https: true } });
  f.timing = { start: t0, end: t0 + 3 };
  const e = flowToEntry(f);
  assert.equal(e.response.status, 0);
  assert.equal(e._error, 'connect_failed: connect ECONNREFUSED 127.0.0.2:443');
  assert.equal(e.serverIPAddress, undefined);
  assertValidHar({ log: { version: '1.2', creator: { name: 'ccproxy', version: '0' }, entries: [e] } });
});

const SSE = 'event: message_start\ndata: {"type":"message_start"}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta"}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n';

test('an SSE response: _sse lists its events, each with the time of its chunk when it came one event per chunk', () => {
  const response = { status: 200, headers: { 'content-type': 'text/event-stream' }, body: Buffer.from(SSE), bodySize: SSE.length, bodyTruncated: false, contentType: 'text/event-stream' };
  const f = flow({ response });
  f.timing = { start: t0, firstByte: t0 + 100, end: t0 + 300, chunks: [100, 200.5, 300], chunkCount: 3 };
  const e = flowToEntry(f);
  assert.deepEqual(e._sse, [
    { event: 'message_start', data: '{"type":"message_start"}', time: (t0 + 100) / 1000 },
    { event: 'content_block_delta', data: '{"type":"content_block_delta"}', time: (t0 + 200.5) / 1000 },
    { event: 'message_stop', data: '{"type":"message_stop"}', time: (t0 + 300) / 1000 },
  ]);
  assert.equal(e.response.content.text, SSE);
  // Two chunks for three events: which chunk completed which event is not known, so no event gets a time.
  f.timing = { ...f.timing, chunks: [100, 300], chunkCount: 2 };
  assert.deepEqual(
    (flowToEntry(f)._sse as { time?: number }[]).map((x) => x.time),
    [undefined, undefined, undefined],
  );
});

test('a WebSocket upgrade: _webSocketMessages as Chromium writes them (send/receive, epoch seconds, opcode, text or base64)', () => {
  const at = new Date(t0 + 1500);
  const msgs: WsMessage[] = [
    { seq: 0, direction: 0, at, opcode: 1, size: 12, payload: Buffer.from('{"type":"x"}'), truncated: false },
    { seq: 1, direction: 1, at, opcode: 2, size: 3, payload: Buffer.from([1, 2, 3]), truncated: false },
    { seq: 2, direction: 1, at, opcode: 8, size: 2, payload: null, truncated: false },
  ];
  const f = flow({ response: { status: 101, headers: { upgrade: 'websocket', connection: 'Upgrade' }, body: null, bodySize: 0, bodyTruncated: false, contentType: null } });
  const e = flowToEntry(f, msgs);
  assert.equal(e._resourceType, 'websocket');
  assert.deepEqual(e._webSocketMessages, [
    { type: 'send', time: (t0 + 1500) / 1000, opcode: 1, data: '{"type":"x"}' },
    { type: 'receive', time: (t0 + 1500) / 1000, opcode: 2, data: 'AQID' },
    { type: 'receive', time: (t0 + 1500) / 1000, opcode: 8, data: '' },
  ]);
  assert.equal(e.response.statusText, 'Switching Protocols');
  assertValidHar({ log: { version: '1.2', creator: { name: 'ccproxy', version: '0' }, entries: [e] } });
});

test('writeHar streams a whole HAR document: head, entries one per line, tail', async () => {
  async function* two() {
    yield { flow: flow(), wsMessages: [] };
    yield { flow: flow({ id: 't-2' }), wsMessages: [] };
  }
  const out = new PassThrough();
  const body = text(out);
  const n = await writeHar(two(), out, { name: 'ccproxy', version: '1.2.3' });
  out.end();
  const har = JSON.parse(await body);
  assert.equal(n, 2);
  assert.equal(har.log.version, '1.2');
  assert.deepEqual(har.log.creator, { name: 'ccproxy', version: '1.2.3' });
  assert.deepEqual(
    har.log.entries.map((e: { _ccproxy: { trace_id: string } }) => e._ccproxy.trace_id),
    ['t-1', 't-2'],
  );
  assertValidHar(har);
  const empty = new PassThrough();
  const emptyBody = text(empty);
  await writeHar((async function* () {})(), empty, { name: 'ccproxy', version: '0' });
  empty.end();
  assertValidHar(JSON.parse(await emptyBody));
});

test('writeHar waits for a slow output as often as it must and leaves no listener behind', async () => {
  async function* many() {
    for (let i = 0; i < 40; i++) yield { flow: flow({ id: `t-${i}` }), wsMessages: [] };
  }
  let waits = 0;
  const out = new Writable({
    highWaterMark: 64,
    write(_chunk, _enc, cb) {
      setImmediate(cb);
    },
  });
  out.on('drain', () => waits++);
  const warnings: Error[] = [];
  const warned = (w: Error) => warnings.push(w);
  process.on('warning', warned);
  try {
    assert.equal(await writeHar(many(), out, { name: 'ccproxy', version: '0' }), 40);
  } finally {
    process.off('warning', warned);
  }
  assert.ok(waits > 11, `it waited ${waits} times`);
  assert.deepEqual([out.listenerCount('drain'), out.listenerCount('close')], [1, 0], 'only the test\'s own listener');
  assert.deepEqual(warnings.map((w) => w.name), []);
});
