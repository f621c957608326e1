// The database goes away while traces and WebSocket messages are written (a TCP relay in front of the server is
// cut, then restored; later it hangs, then is cut): afterwards every trace and every message is in its table
// exactly once, complete.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../src/log.js';
import { openTraceStore, type TraceStore } from '../src/store/store.js';
import { configFor, createTempDatabase, serverSkip, tempConfigDir } from './helpers/pg.js';
import { Relay } from './helpers/relay.js';
import pg from 'pg';

const lines: string[] = [];
const log = createLogger('test', { write: (l) => lines.push(l) });

describe('database outage while writing (server behind a relay)', { skip: await serverSkip() }, () => {
  let tmp: Awaited<ReturnType<typeof createTempDatabase>>;
  let cfg: ReturnType<typeof tempConfigDir>;
  let relay: Relay;
  let store: TraceStore | undefined;
  before(async () => {
    tmp = await createTempDatabase();
    cfg = tempConfigDir();
    relay = await Relay.before(tmp.url);
  });
  after(async () => {
    await store?.close(1000);
    await relay?.stop();
    await tmp?.drop();
    cfg?.remove();
  });

  test('every trace and WebSocket message written during outages is in the table exactly once', async () => {
    store = await openTraceStore(configFor(cfg.dir, relay.url(tmp.url)), log, { retryMinMs: 50, retryMaxMs: 200 });
    const w = store.writer;
    const n = 3000;
    const body = Buffer.alloc(2048, 'q');
    const payload = Buffer.alloc(512, 0xfe);
    let sent = 0;
    const send = async (until: number) => {
      for (; sent < until; sent++) {
        const id = `o-${sent}`;
        w.create(id, { method: 'POST', url: 'https://api.anthropic.com/v1/messages', request_body: body, traffic_type: 'llm' });
        // Every third trace is an upgraded connection with two messages, handed over before its completion.
        if (sent % 3 === 0) for (const seq of [0, 1]) w.wsMessage(id, { seq, direction: seq as 0 | 1, at: new Date(), opcode: 2, size: 516, payload, truncated: false });
        w.complete(id, { status_code: 200, response_body: body, duration_ms: sent });
        if (sent % 50 === 0) await sleep(1);
      }
    };
    await send(500);
    await relay.stop(); // refused and reset: the database is gone
    await send(1200);
    await sleep(300);
    await relay.start(relay.port);
    await send(2000);
    await relay.stop();
    await send(2600);
    assert.ok(w.counters().spilled > 0, 'operations went to the spill during the outage');
    await sleep(200);
    await relay.start(relay.port);
    await send(2700);
    // The database hangs: a batch stays in flight while more operations queue behind it; then it is cut.
    relay.stall();
    await send(n);
    await relay.stop();
    await relay.start(relay.port);
    assert.ok(await w.flush(60_000), 'the writer caught up once the database was back');

    const c = new pg.Client(tmp.url);
    await c.connect();
    const { rows } = await c.query(`SELECT count(*)::int AS n, count(DISTINCT trace_id)::int AS d,
      count(*) FILTER (WHERE status_code = 200 AND method = 'POST' AND octet_length(response_body) = 2048)::int AS complete
      FROM "CCProxy_HttpTraces"`);
    const messages = Math.ceil(n / 3) * 2;
    const ws = await c.query(`SELECT count(*)::int AS n, count(DISTINCT (trace_id, seq))::int AS d,
      count(*) FILTER (WHERE octet_length(payload) = 512 AND get_byte(payload, 511) = 254 AND size = 516)::int AS intact
      FROM "CCProxy_WebSocketMessages"`);
    await c.end();
    assert.deepEqual(rows[0], { n, d: n, complete: n });
    assert.deepEqual(ws.rows[0], { n: messages, d: messages, intact: messages });
    const counters = w.counters();
    assert.equal(counters.dropped, 0);
    assert.equal(counters.failed, 0);
    assert.ok(counters.replayed > 0);
    assert.ok(lines.some((l) => /spill file/.test(l)), 'the outage was logged');
  });
});
