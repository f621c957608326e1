// `ccproxy export har` and `export curl` run as a user runs them, on both databases: flows written through the
// trace writer (more than one page of them, a WebSocket connection, a timed SSE stream, a failure) come out as a
// HAR 1.2 file that the schema accepts, in start order, with every part the flows had; a FILTER selects some.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { newFlow, type Flow } from '../src/flow/flow.js';
import { silentLogger } from '../src/log.js';
import { PAGE_ROWS } from '../src/read/read-flows.js';
import { openTraceStore } from '../src/store/store.js';
import { outputOf, runCli, startCli } from './helpers/cli.js';
import { assertValidHar } from './helpers/har-validate.js';
import { BACKENDS } from './helpers/pg.js';

const t0 = Date.UTC(2026, 10, 28, 9, 0, 0, 0);
const PLAIN = PAGE_ROWS + 37;
const SSE = 'event: message_start\ndata: {"type":"message_start"}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n';

function plain(i: number): Flow {
  const f = newFlow(`p-${String(i).padStart(4, '0')}`, i % 2 === 0 ? 'reverse' : 'forward');
  f.server = { address: '127.0.0.1', port: 8080, https: false };
  f.request = { method: 'POST', url: `http://127.0.0.1:8080/v1/messages?i=${i}`, originalUrl: null, host: '127.0.0.1:8080', path: `/v1/messages?i=${i}`, headers: { 'content-type': 'application/json', authorization: 'Bearer [redacted len=40 sha256=0badf00d]' }, body: Buffer.from(`{"i":${i},"q":"it's"}`), bodySize: 16, bodyTruncated: false, contentType: 'application/json' };
  f.response = { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(`{"ok":${i}}`), bodySize: 9, bodyTruncated: false, contentType: 'application/json' };
  f.timing = { start: t0 + i * 1000, firstByte: t0 + i * 1000 + 20, end: t0 + i * 1000 + 30 };
  return f;
}

function streamed(): Flow {
  const f = plain(10_000);
  f.id = 'sse-1';
  f.response = { status: 200, headers: { 'content-type': 'text/event-stream' }, body: Buffer.from(SSE), bodySize: SSE.length, bodyTruncated: false, contentType: 'text/event-stream' };
  f.timing = { ...f.timing, connection: { dnsMs: 1, connectMs: 2, tlsMs: 3 }, requestSent: 9, chunks: [20, 30], chunkCount: 2 };
  return f;
}

function upgrade(): Flow {
  const f = plain(10_001);
  f.id = 'ws-1';
  f.request = { ...f.request, method: 'GET', url: 'http://127.0.0.1:8080/v1/responses', body: null, bodySize: 0, headers: { upgrade: 'websocket' } };
  f.response = { status: 101, headers: { upgrade: 'websocket' }, body: null, bodySize: 0, bodyTruncated: false, contentType: null };
  return f;
}

function failed(): Flow {
  const f = plain(10_002);
  f.id = 'err-1';
  f.response = null;
  f.server = { address: null, port: 443, https: true };
  f.error = { type: 'connect_failed', message: 'connect ECONNREFUSED' };
  return f;
}

for (const backend of BACKENDS) {
  describe(`ccproxy export (${backend.name})`, { skip: await backend.skip() }, () => {
    test('export har: every trace, in start order, valid HAR 1.2, with SSE times, WebSocket messages and failures; export curl prints one', async () => {
      const env = await backend.setup();
      try {
        const store = await openTraceStore(env.loaded, silentLogger);
        const flows = [...Array.from({ length: PLAIN }, (_, i) => plain(i)), streamed(), upgrade(), failed()];
        for (const f of flows) {
          store.writer.requestStarted(f);
          store.writer.requestEnded(f);
          store.writer.responseEnded(f);
        }
        store.writer.wsMessage('ws-1', { seq: 0, direction: 0, at: new Date(t0 + 10_001_500), opcode: 1, size: 14, payload: Buffer.from('{"type":"hi"}'), truncated: false });
        store.writer.wsMessage('ws-1', { seq: 1, direction: 1, at: new Date(t0 + 10_001_600), opcode: 2, size: 5, payload: Buffer.from([9, 8, 7]), truncated: false });
        assert.ok(await store.writer.flush());
        await store.close();

        const file = join(env.dir, 'out.har');
        const r = await runCli(['export', 'har', '-o', file], env.env);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `wrote ${flows.length} entries to ${file}`);
        assert.deepEqual(readdirSync(env.dir).filter((n) => n.includes('partial')), []);
        const har = JSON.parse(readFileSync(file, 'utf8'));
        assertValidHar(har);
        const ids = har.log.entries.map((e: { _ccproxy: { trace_id: string } }) => e._ccproxy.trace_id);
        assert.deepEqual(ids, flows.map((f) => f.id));
        const byId = new Map(har.log.entries.map((e: { _ccproxy: { trace_id: string } }) => [e._ccproxy.trace_id, e]));
        const first = byId.get('p-0000') as any;
        assert.equal(first.request.postData.text, `{"i":0,"q":"it's"}`);
        assert.equal(first.response.content.text, '{"ok":0}');
        assert.equal(first.serverIPAddress, '127.0.0.1');
        assert.equal(first.startedDateTime, new Date(t0).toISOString());
        const sse = byId.get('sse-1') as any;
        assert.deepEqual(sse._sse, [
          { event: 'message_start', data: '{"type":"message_start"}', time: (t0 + 10_000_020) / 1000 },
          { event: 'message_stop', data: '{"type":"message_stop"}', time: (t0 + 10_000_030) / 1000 },
        ]);
        // send: from the connection's setup (6 ms) to the request's body sent (9 ms), as stored in the timings row.
        assert.deepEqual(sse.timings, { blocked: -1, dns: 1, connect: 5, ssl: 3, send: 3, wait: 11, receive: 10 });
        assert.deepEqual((byId.get('ws-1') as any)._webSocketMessages, [
          { type: 'send', time: (t0 + 10_001_500) / 1000, opcode: 1, data: '{"type":"hi"}' },
          { type: 'receive', time: (t0 + 10_001_600) / 1000, opcode: 2, data: 'CQgH' },
        ]);
        assert.equal((byId.get('err-1') as any).response.status, 0);

        const out = await runCli(['export', 'har', '-o', '-'], env.env);
        assert.equal(out.code, 0, out.stderr);
        assert.equal(JSON.parse(out.stdout).log.entries.length, flows.length);
        assert.match(out.stderr, new RegExp(`wrote ${flows.length} entries`));

        const upgrades = await runCli(['export', 'har', '~c 101', '-o', file], env.env);
        assert.equal(upgrades.code, 0, upgrades.stderr);
        assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).log.entries.map((e: { _ccproxy: { trace_id: string } }) => e._ccproxy.trace_id), ['ws-1']);
        const forwardPosts = await runCli(['export', 'har', '~dir forward & ~m POST', '-o', file], env.env);
        assert.equal(forwardPosts.code, 0, forwardPosts.stderr);
        const selected = JSON.parse(readFileSync(file, 'utf8')).log.entries;
        assert.equal(selected.length, Math.floor(PLAIN / 2));
        assert.ok(selected.every((e: { request: { method: string }; _ccproxy: { direction: string } }) => e.request.method === 'POST' && e._ccproxy.direction === 'forward'));
        // A reader that closes standard output early (`| head`) ends the export as a success, not a database error.
        const head = startCli(['export', 'har', '-o', '-'], env.env);
        head.stdout!.once('data', () => head.stdout!.destroy());
        const cut = await outputOf(head);
        assert.equal(cut.code, 0, cut.stderr);
        assert.equal(cut.stderr, '');
        const nowhere = join(env.dir, 'no-such-dir', 'out.har');
        const noDir = await runCli(['export', 'har', '-o', nowhere], env.env);
        assert.equal(noDir.code, 1);
        assert.equal(noDir.stderr.trim(), `ccproxy: cannot write ${nowhere}: ${join(env.dir, 'no-such-dir')} does not exist`);

        const bad = await runCli(['export', 'har', '~c (', '-o', file], env.env);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /\^/);

        const curl = await runCli(['export', 'curl', 'p-0001'], env.env);
        assert.equal(curl.code, 0, curl.stderr);
        assert.equal(curl.stdout.trim(), `curl -H 'content-type: application/json' -H 'authorization: Bearer [redacted len=40 sha256=0badf00d]' --data-binary '{"i":1,"q":"it'\\''s"}' 'http://127.0.0.1:8080/v1/messages?i=1'`);
        assert.match(curl.stderr, /authorization header holds a fingerprint/);
        const missing = await runCli(['export', 'curl', 'nope'], env.env);
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /no trace with id nope/);
      } finally {
        await env.cleanup();
      }
    });
  });
}

test('export har without -o, and export curl without an id, are usage errors', async () => {
  const noFile = await runCli(['export', 'har'], {});
  assert.equal(noFile.code, 2);
  assert.match(noFile.stderr, /-o <file> is required/);
  const noId = await runCli(['export', 'curl'], {});
  assert.equal(noId.code, 2);
  assert.match(noId.stderr, /one trace id is required/);
  const format = await runCli(['export', 'json', '-o', 'out.json'], {});
  assert.equal(format.code, 2);
  assert.equal(format.stderr.trim(), 'ccproxy: unknown export command "json"\nusage: ccproxy export <har|curl> [options]');
  assert.ok(!existsSync('out.har'));
});
