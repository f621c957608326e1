// Read benchmark: how long `ccproxy usage daily` and `ccproxy usage session` take over a large trace database — a
// fresh database on the local server with READ_BENCH_SERVER_TRACES traces (default 1,000,000; target ≤ 1 s) and the
// embedded one with READ_BENCH_EMBEDDED_TRACES (default 100,000; target ≤ 2 s), seeded by bench/read-seed.ts. Each
// figure is the median of READ_BENCH_RUNS runs (default 5) after one warm-up run, timed around the library call the
// command makes (usage-report.ts: the queries and the sums), on a connection of the command's own kind.
import { openDatabase } from '../src/store/database.js';
import type { ReportKind } from '../src/read/usage-options.js';
import { listTraces } from '../src/read/traces.js';
import { usageReport } from '../src/read/usage-report.js';
import { configFor, createTempDatabase, serverAvailable, SERVER_URL, tempConfigDir } from '../test/helpers/pg.js';
import { median } from './median.js';
import { seedReadData } from './read-seed.js';

const RUNS = Number(process.env.READ_BENCH_RUNS ?? 5);

export interface ReadResult {
  backend: 'server' | 'embedded';
  traces: number;
  calls: number;
  seedSeconds: number;
  report: string;
  /** The traces filter, for a traces page. */
  filter?: string | null;
  firstMs: number;
  medianMs: number;
  /** Null: reported without a target (the body search). */
  targetMs: number | null;
}

/** `ccproxy traces` pages over the seeded data: every indexed field the filter language reaches, and a body search. */
const TRACE_FILTERS: readonly [string, string | null][] = [
  ['traces (newest)', null],
  ['traces ~session', '~session bench-session-1'],
  ['traces ~model', '~model ^gemini-3'],
  ['traces ~d', '~d cloudcode-pa'],
  ['traces ~c', '~c 200 & ~dir forward'],
  ['traces ~type', '~type llm & ~m POST'],
  ['traces ~cost', '~cost >0.1'],
  // md5('2') sits near the start of the seed's body text: about 1 body in 300 holds it, so 50 matches mean reading ~15,000.
  ['traces ~b', '~b c81e728d9d4c2f636f067f89cc14862c'],
];

export async function benchRead(only?: 'server' | 'embedded'): Promise<ReadResult[]> {
  const cases = [
    { backend: 'server' as const, traces: Number(process.env.READ_BENCH_SERVER_TRACES ?? 1_000_000), targetMs: 1000 },
    { backend: 'embedded' as const, traces: Number(process.env.READ_BENCH_EMBEDDED_TRACES ?? 100_000), targetMs: 2000 },
  ];
  const out: ReadResult[] = [];
  for (const c of cases) {
    if (only && only !== c.backend) continue;
    if (c.backend === 'server' && !(await serverAvailable())) {
      console.log(`read/server: SKIPPED, no PostgreSQL server at ${SERVER_URL}`);
      continue;
    }
    const cfg = tempConfigDir();
    const tmp = c.backend === 'server' ? await createTempDatabase() : undefined;
    try {
      const db = await openDatabase(configFor(cfg.dir, tmp?.url), { transient: true });
      try {
        const seeded = await seedReadData(db.pool, c.traces, (m) => process.env.BENCH_VERBOSE && console.log(`read/${c.backend}: ${m}`));
        console.log(`read/${c.backend}: seeded ${seeded.traces} traces (${seeded.calls} calls seen at both ends, ${seeded.sessions} sessions) in ${seeded.seconds.toFixed(0)} s`);
        for (const report of ['daily', 'session'] as ReportKind[]) {
          const opts = { report, timeZone: 'Europe/Berlin', since: null, until: null };
          const times: number[] = [];
          let calls = 0;
          for (let i = 0; i <= RUNS; i++) {
            const t0 = performance.now();
            const r = await usageReport(db.pool, opts);
            times.push(performance.now() - t0);
            calls = r.totals.requests;
          }
          if (calls !== seeded.calls) throw new Error(`usage ${report} counted ${calls} calls, ${seeded.calls} were seeded`);
          out.push({ backend: c.backend, traces: seeded.traces, calls, seedSeconds: seeded.seconds, report: `usage ${report}`, firstMs: times[0]!, medianMs: median(times.slice(1)), targetMs: c.targetMs });
        }
        // A `ccproxy traces` page (50 lines) on each indexed field, then a body search, which no index serves.
        for (const [name, filter] of TRACE_FILTERS) {
          const times: number[] = [];
          let lines = 0;
          for (let i = 0; i <= RUNS; i++) {
            const t0 = performance.now();
            lines = (await listTraces(db.pool, filter, 50)).length;
            times.push(performance.now() - t0);
          }
          if (lines === 0 && filter !== null && name !== 'traces ~b') throw new Error(`traces ${filter} found nothing in the seeded data`);
          const targetMs = name === 'traces ~b' ? null : c.backend === 'server' ? 200 : 300;
          out.push({ backend: c.backend, traces: seeded.traces, calls: lines, seedSeconds: seeded.seconds, report: name, filter, firstMs: times[0]!, medianMs: median(times.slice(1)), targetMs });
        }
      } finally {
        await db.close();
      }
    } finally {
      await tmp?.drop();
      cfg.remove();
    }
  }
  return out;
}
