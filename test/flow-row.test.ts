// Flows written as rows and read back are the same flows, on both databases: the row mapping loses nothing it stores.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Flow } from '../src/flow/flow.js';
import { silentLogger } from '../src/log.js';
import { flowToRow, rowToFlow } from '../src/store/flow-row.js';
import { openTraceStore } from '../src/store/store.js';
import { BACKENDS } from './helpers/pg.js';

const t0 = Date.UTC(2026, 10, 28, 9, 30, 0, 123);

const complete: Flow = {
  id: 'flow-complete',
  direction: 'forward',
  sessionId: 'sess-1',
  trafficType: 'llm',
  client: { address: '127.0.0.1', port: null },
  server: { address: '127.0.0.2', port: 443, https: true },
  request: {
    method: 'POST',
    url: 'https://api.anthropic.com/v1/messages?beta=true',
    originalUrl: 'https://api.example.com/v1/messages?beta=true',
    host: 'api.anthropic.com',
    path: '/v1/messages?beta=true',
    headers: { 'content-type': 'application/json', 'x-api-key': 'fp:sha256:abcd', 'anthropic-beta': ['a', 'b'] },
    body: Buffer.from('{"model":"claude-opus-4-8","messages":[]}'),
    bodySize: 41,
    bodyTruncated: false,
    contentType: 'application/json',
  },
  response: {
    status: 200,
    headers: { 'content-type': 'text/event-stream', 'anthropic-ratelimit-requests-remaining': '49' },
    body: Buffer.from([0, 1, 2, 0xff]),
    bodySize: 9000,
    bodyTruncated: true,
    contentType: 'text/event-stream',
  },
  error: null,
  timing: { start: t0, firstByte: t0 + 250, end: t0 + 1900 },
  metadata: {},
};

const failed: Flow = {
  ...complete,
  id: 'flow-failed',
  direction: 'reverse',
  sessionId: null,
  server: { address: null, port: null, https: false },
  request: { ...complete.request, originalUrl: null, body: null, bodySize: 0, headers: {} },
  response: null,
  error: { type: 'upstream_unreachable', message: 'connect ECONNREFUSED 127.0.0.2:443' },
  timing: { start: t0, end: t0 + 3 },
};

/** A forward flow with what the timings table adds: its reverse flow, its connection's set-up, its chunks' times. */
const timed: Flow = {
  ...complete,
  id: 'flow-timed',
  parentId: 'flow-reverse-parent',
  timing: { ...complete.timing, requestSent: 3.5, connection: { dnsMs: 1.25, connectMs: 0.5, tlsMs: 12.125 }, chunks: [250, 250.5, 1899.999], chunkCount: 5000 },
};

const JOINED = `SELECT t.*, x.parent_trace_id, x.dns_ms, x.connect_ms, x.tls_ms, x.request_sent_ms, x.chunk_ms, x.chunk_count
  FROM "CCProxy_HttpTraces" t LEFT JOIN "CCProxy_TraceTimings" x USING (trace_id)`;

for (const backend of BACKENDS) {
  describe(`flows through the table and back (${backend.name})`, { skip: await backend.skip() }, () => {
    test('a completed flow and a failed one read back as written', async () => {
      const env = await backend.setup();
      const store = await openTraceStore(env.loaded, silentLogger);
      try {
        for (const flow of [complete, failed]) store.writer.complete(flow.id, flowToRow(flow));
        assert.ok(await store.writer.flush());
        const { rows } = await store.db.pool.query(`SELECT * FROM "CCProxy_HttpTraces" WHERE trace_id LIKE 'flow-%' ORDER BY trace_id`);
        const back = rows.map(rowToFlow);
        assert.deepEqual(back, [complete, failed]);
      } finally {
        await store.close();
        await env.cleanup();
      }
    });

    test('a flow handed over moment by moment (as capture points hand it) reads back as the whole flow, timings and link included', async () => {
      const env = await backend.setup();
      const store = await openTraceStore(env.loaded, silentLogger);
      try {
        const flows = [complete, failed, timed].map((f) => ({ ...f, id: `${f.id}-sink` }));
        for (const flow of flows) {
          store.writer.requestStarted(flow);
          store.writer.requestEnded(flow);
          store.writer.responseEnded(flow);
        }
        assert.ok(await store.writer.flush());
        const { rows } = await store.db.pool.query(`${JOINED} WHERE trace_id LIKE 'flow-%-sink' ORDER BY trace_id`);
        assert.deepEqual(rows.map(rowToFlow), flows);
      } finally {
        await store.close();
        await env.cleanup();
      }
    });
  });
}
