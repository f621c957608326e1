// The trace timings table end to end: a streamed response through the reverse capture leaves, beside its trace
// row, when each chunk arrived and how long its new upstream connection took; a short JSON answer on a reused
// connection leaves nothing there. Read back as a flow, the timings are the flow's.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { rowToFlow } from '../src/store/flow-row.js';
import { startCapture, type RunningCapture } from './helpers/proxy.js';
import { StandIn } from './helpers/standin.js';

/** A POST; `firstData` is called when the first piece of the answer's body has reached the client. */
function post(url: string, session: string, body: object, firstData?: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-claude-code-session-id': session } }, (res) => {
      let text = '';
      res.once('data', () => firstData?.());
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(text));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('trace timings (CCProxy_TraceTimings)', () => {
  let provider: StandIn;
  let cap: RunningCapture;
  before(async () => {
    provider = await new StandIn().start();
    cap = await startCapture(['--upstream', provider.url]);
  });
  after(async () => {
    assert.equal(await cap?.stop(), 0);
    await provider?.close();
  });

  async function timingsOf(traceId: string): Promise<any | undefined> {
    for (let i = 0; i < 200; i++) {
      const { rows } = await cap.db.pool.query(`SELECT t.*, x.parent_trace_id, x.dns_ms, x.connect_ms, x.tls_ms, x.request_sent_ms, x.chunk_ms, x.chunk_count FROM "CCProxy_HttpTraces" t JOIN "CCProxy_TraceTimings" x USING (trace_id) WHERE trace_id = $1`, [traceId]);
      if (rows[0]) return rows[0];
      await sleep(50);
    }
    return undefined;
  }

  test('a streamed answer on a new connection: chunk arrival times and the connection set-up', async () => {
    // The rest of the stream is sent only once the first event has passed through the capture: two chunks at least.
    const release = provider.armGate();
    const answer = post(`${cap.url}/v1/messages`, 'timed-stream', { model: 'claude-x', stream: true, max_tokens: 5 }, () => release());
    assert.match(await answer, /message_stop/);
    const [trace] = await cap.rows(`session_id = 'timed-stream'`);
    const row = await timingsOf(trace.trace_id);
    assert.ok(row, 'a timings row beside the trace');
    assert.equal(row.parent_trace_id, null, 'no gateway in between: no link');
    assert.ok(row.chunk_count >= 2, `the stream came in several chunks (${row.chunk_count})`);
    assert.equal(row.chunk_ms.length, Math.min(row.chunk_count, 4096));
    assert.ok(row.chunk_ms.every((t: number, i: number) => t >= 0 && (i === 0 || t >= row.chunk_ms[i - 1])), 'arrival times in order');
    assert.ok(row.chunk_ms.at(-1) > row.chunk_ms[0], 'the last chunk came after the first');
    assert.ok(row.chunk_ms[0] >= trace.ttfb_ms - 1, 'the first chunk comes with or after the first byte');
    assert.ok(typeof row.connect_ms === 'number' && row.connect_ms >= 0, 'the TCP connect of the new connection');
    assert.equal(row.dns_ms, null, 'an IP address needs no lookup');
    assert.equal(row.tls_ms, null, 'plain HTTP: no handshake');
    assert.ok(typeof row.request_sent_ms === 'number' && row.request_sent_ms >= 0 && row.request_sent_ms <= trace.ttfb_ms + 1, `the request was sent before its answer began (${row.request_sent_ms} ms)`);
    const flow = rowToFlow(row);
    assert.equal(flow.timing.requestSent, row.request_sent_ms);
    assert.deepEqual(flow.timing.chunks, row.chunk_ms);
    assert.equal(flow.timing.connection?.connectMs, row.connect_ms);
  });

  test('a one-chunk answer on a reused connection has no timings row', async () => {
    await post(`${cap.url}/v1/messages`, 'timed-json', { model: 'claude-x', max_tokens: 5 });
    const [trace] = await cap.rows(`session_id = 'timed-json'`);
    // A later stream's timings row is written after anything the JSON answer owed (the writer keeps order).
    const release = provider.armGate();
    await post(`${cap.url}/v1/messages`, 'timed-after', { model: 'claude-x', stream: true, max_tokens: 5 }, () => release());
    const [later] = await cap.rows(`session_id = 'timed-after'`);
    const laterTimings = await timingsOf(later.trace_id);
    assert.ok(laterTimings, 'the later stream has its row');
    assert.equal(laterTimings.connect_ms, null, 'a reused connection has no set-up');
    const { rows } = await cap.db.pool.query(`SELECT * FROM "CCProxy_TraceTimings" WHERE trace_id = $1`, [trace.trace_id]);
    assert.deepEqual(rows, []);
  });
});
