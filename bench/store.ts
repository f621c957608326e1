// Store benchmark: sustained traces/s through the writer (create + complete, 2 KB request and 4 KB response
// bodies) to the PostgreSQL server and to the embedded database, beside a baseline measured in the same run:
// plain multi-row INSERTs of the same finished rows over one connection, with no writer in between.
import { randomUUID } from 'node:crypto';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { silentLogger } from '../src/log.js';
import { openDatabase } from '../src/store/database.js';
import { openTraceStore } from '../src/store/store.js';
import { TABLE } from '../src/store/table.js';
import { configFor, createTempDatabase, serverAvailable, SERVER_URL, tempConfigDir } from '../test/helpers/pg.js';
import { median } from './median.js';

const REQ = Buffer.alloc(2048, '{"model":"claude"}');
const RES = Buffer.alloc(4096, 'data: {"type":"content_block_delta"}\n\n');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

export interface StoreResult {
  backend: string;
  traces: number;
  writerRate: number;
  baselineRate: number;
  rowsFound: number;
  spilled: number;
  /** Paced at the target rate: the rate achieved and the operations that had to go through the spill. */
  pacedRate: number;
  pacedSpilled: number;
  dropped: number;
  target: number;
}


function startFields(i: number) {
  return {
    proxy_direction: i % 2,
    session_id: `bench-session-${i % 50}`,
    method: 'POST',
    url: 'https://api.anthropic.com/v1/messages?beta=true',
    host: 'api.anthropic.com',
    path: '/v1/messages?beta=true',
    request_headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-…1a2b' },
    request_body: REQ,
    request_body_size: REQ.length,
    request_content_type: 'application/json',
    start_time: new Date(),
    client_ip: '127.0.0.1',
    is_https: true,
    traffic_type: 'llm',
  };
}

function endFields(i: number) {
  return {
    status_code: 200,
    response_headers: { 'content-type': 'text/event-stream', 'request-id': `req_${i}` },
    response_body: RES,
    response_body_size: RES.length,
    response_content_type: 'text/event-stream',
    end_time: new Date(),
    duration_ms: 1234.5,
    ttfb_ms: 210.25,
    server_ip: '160.79.104.10',
    server_port: 443,
  };
}

/** The capture side as a proxy drives it: requests arrive in bursts, each completes one burst later. */
async function runWriter(env: { dir: string; url?: string }, traces: number, pace?: number): Promise<{ ms: number; rows: number; spilled: number; dropped: number }> {
  const store = await openTraceStore(configFor(env.dir, env.url), silentLogger);
  try {
    await store.db.pool.query(`TRUNCATE ${TABLE}`);
    const ids = Array.from({ length: traces }, () => randomUUID());
    const BURST = 100;
    const t0 = performance.now();
    for (let i = 0; i < traces; i += BURST) {
      for (let j = i; j < Math.min(i + BURST, traces); j++) store.writer.create(ids[j]!, startFields(j));
      for (let j = i - BURST; j >= 0 && j < i; j++) store.writer.complete(ids[j]!, endFields(j));
      const due = pace ? t0 + ((i + BURST) / pace) * 1000 - performance.now() : 0;
      if (due > 1) await sleep(due);
      else await tick();
    }
    for (let j = Math.max(0, traces - BURST); j < traces; j++) store.writer.complete(ids[j]!, endFields(j));
    if (!(await store.writer.flush(300_000))) throw new Error('writer did not finish within 300 s');
    const ms = performance.now() - t0;
    const rows = Number(
      (await store.db.pool.query(`SELECT count(*) AS n FROM ${TABLE} WHERE status_code = 200 AND octet_length(request_body) = 2048 AND octet_length(response_body) = 4096`)).rows[0].n,
    );
    const c = store.writer.counters();
    return { ms, rows, spilled: c.spilled, dropped: c.dropped };
  } finally {
    await store.close();
  }
}

/** Baseline: the same finished rows as plain multi-row INSERTs of 500, one connection, nothing else. */
async function runBaseline(env: { dir: string; url?: string }, traces: number): Promise<number> {
  const db = await openDatabase(configFor(env.dir, env.url));
  const client = new pg.Client(db.backend.url);
  await client.connect();
  try {
    await client.query(`TRUNCATE ${TABLE}`);
    const cols = ['trace_id', ...Object.keys(startFields(0)), ...Object.keys(endFields(0))];
    const t0 = performance.now();
    for (let i = 0; i < traces; i += 500) {
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (let j = i; j < Math.min(i + 500, traces); j++) {
        const row: Record<string, unknown> = { trace_id: randomUUID(), ...startFields(j), ...endFields(j) };
        tuples.push(`(${cols.map((c) => {
          const v = row[c];
          values.push(v instanceof Date ? v.toISOString() : Buffer.isBuffer(v) || typeof v !== 'object' ? v : JSON.stringify(v));
          return `$${values.length}`;
        }).join(',')})`);
      }
      await client.query(`INSERT INTO ${TABLE} (${cols.join(',')}) VALUES ${tuples.join(',')}`, values);
    }
    return performance.now() - t0;
  } finally {
    await client.end();
    await db.close();
  }
}

export async function benchStore(only?: 'server' | 'embedded'): Promise<StoreResult[]> {
  const results: StoreResult[] = [];
  const cases: { backend: 'server' | 'embedded'; traces: number; target: number }[] = [
    { backend: 'server', traces: Number(process.env.BENCH_SERVER_TRACES ?? 20_000), target: 5_000 },
    { backend: 'embedded', traces: Number(process.env.BENCH_EMBEDDED_TRACES ?? 5_000), target: 1_000 },
  ];
  for (const c of cases) {
    if (only && c.backend !== only) continue;
    if (c.backend === 'server' && !(await serverAvailable())) {
      console.log(`store/server: SKIPPED, no PostgreSQL server at ${SERVER_URL}`);
      continue;
    }
    const cfg = tempConfigDir();
    const tmp = c.backend === 'server' ? await createTempDatabase() : undefined;
    const env = { dir: cfg.dir, url: tmp?.url };
    try {
      await runWriter(env, Math.min(1000, c.traces)); // warm-up: schema, JIT, first pages
      const writer: number[] = [];
      const baseline: number[] = [];
      let last = { rows: 0, spilled: 0, dropped: 0 };
      for (let r = 0; r < RUNS; r++) {
        // Interleaved, so both see the same machine load.
        baseline.push(c.traces / ((await runBaseline(env, c.traces)) / 1000));
        const w = await runWriter(env, c.traces);
        writer.push(c.traces / (w.ms / 1000));
        last = w;
        if (w.rows !== c.traces) throw new Error(`store/${c.backend}: ${c.traces} traces sent, ${w.rows} complete rows found`);
      }
      const paced = await runWriter(env, c.traces, c.target);
      if (paced.rows !== c.traces) throw new Error(`store/${c.backend} paced: ${c.traces} traces sent, ${paced.rows} complete rows found`);
      results.push({
        backend: c.backend,
        traces: c.traces,
        writerRate: median(writer),
        baselineRate: median(baseline),
        rowsFound: last.rows,
        spilled: last.spilled,
        dropped: last.dropped + paced.dropped,
        target: c.target,
        pacedRate: c.traces / (paced.ms / 1000),
        pacedSpilled: paced.spilled,
      });
    } finally {
      await tmp?.drop();
      cfg.remove();
    }
  }
  return results;
}
