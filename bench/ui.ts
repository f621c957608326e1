// `npm run bench -- ui`: the viewer page in headless Chromium over a seeded server database of UI_BENCH_TRACES
// traces (default 100,000: bench/read-seed.ts plus one session of 2,000 requests seen at both ends and one
// exchange with a 10 MB JSON request body). Times, from navigation to the first row drawn: the sessions list
// (target ≤ 1 s), the 2,000-request session's timeline (≤ 1.5 s); opening the 10 MB body, from the click on its
// exchange's page to its JSON tree drawn (≤ 1 s), and that page itself (no target); each the median of UI_BENCH_RUNS fresh page loads after a warm-up, beside a
// baseline from the same run: a static page of 50 table rows from a plain node:http server, loaded the same way.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext } from 'playwright-core';
import type { Pool } from 'pg';
import { silentLogger } from '../src/log.js';
import { openDatabase } from '../src/store/database.js';
import { openViewer } from '../src/web/open.js';
import { configFor, createTempDatabase, serverAvailable, SERVER_URL, tempConfigDir } from '../test/helpers/pg.js';
import { median } from './median.js';
import { seedReadData } from './read-seed.js';
import { BIG_BODY_TRACE, BIG_REQUESTS, BIG_SESSION, seedBigBody, seedLongSession } from '../test/helpers/viewer-seed.js';

const TRACES = Number(process.env.UI_BENCH_TRACES ?? 100_000);
const RUNS = Number(process.env.UI_BENCH_RUNS ?? 5);
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** The bench's database: the read benchmark's traces, the long session and the big body, `TRACES` in all. */
export async function seedAll(pool: Pool): Promise<{ total: number; sessions: number }> {
  const seeded = await seedReadData(pool, TRACES - BIG_REQUESTS * 2 - 1, (m) => process.env.BENCH_VERBOSE && console.log(`ui: ${m}`));
  await seedLongSession(pool);
  await seedBigBody(pool);
  await pool.query(`VACUUM (ANALYZE) "CCProxy_HttpTraces", "CCProxy_LlmUsage", "CCProxy_TraceTimings"`);
  const total = Number((await pool.query(`SELECT count(*) AS n FROM "CCProxy_HttpTraces"`)).rows[0].n);
  return { total, sessions: seeded.sessions + 2 };
}

/** The baseline: a static page of 50 rows, nothing to compute, from a plain server. */
function staticServer(): Promise<{ url: string; close(): Promise<void> }> {
  const rows = Array.from({ length: 50 }, (_, i) => `<tr class="row"><td>session ${i}</td><td>${i * 7} requests</td><td>$${(i * 0.37).toFixed(2)}</td></tr>`).join('');
  const page = Buffer.from(`<!doctype html><html><head><meta charset="utf-8"><title>baseline</title></head><body><table>${rows}</table></body></html>`);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': page.length, 'cache-control': 'no-store' });
    res.end(page);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise<void>((r) => server.close(() => r())) }),
    ),
  );
}

/** Milliseconds from asking for `url` in a fresh tab to `done` resolving, RUNS times after a warm-up. */
type Page = import('playwright-core').Page;

/**
 * Milliseconds from asking for `url` in a fresh tab to `done` resolving, RUNS times after a warm-up. `settle` (not
 * timed) waits for what the page reads after its first rows, so that it does not load the server during the next tab.
 */
async function timeLoads(context: BrowserContext, url: string, done: (page: Page) => Promise<unknown>, settle?: (page: Page) => Promise<unknown>): Promise<{ median: number; first: number }> {
  const times: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const page = await context.newPage();
    const settled = settle?.(page);
    const t0 = performance.now();
    await page.goto(url, { waitUntil: 'commit' });
    await done(page);
    times.push(performance.now() - t0);
    await settled;
    await page.close();
  }
  return { first: times[0]!, median: median(times.slice(1)) };
}

export interface UiResult {
  what: string;
  medianMs: number;
  targetMs: number;
}

export async function benchUi(): Promise<void> {
  if (!(await serverAvailable())) {
    console.log(`ui: SKIPPED, no PostgreSQL server at ${SERVER_URL}`);
    return;
  }
  const cfg = tempConfigDir();
  const tmp = await createTempDatabase();
  const baseline = await staticServer();
  try {
    const db = await openDatabase(configFor(cfg.dir, tmp.url), { transient: true });
    const viewer = await openViewer(db, { port: 0, portSource: 'bench', log: silentLogger });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const t0 = performance.now();
      const { total, sessions: n } = await seedAll(db.pool);
      console.log(`ui: seeded ${total} traces (${n} sessions, one of ${BIG_REQUESTS} requests at both ends, one 10 MB body) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const signIn = await context.newPage();
      await signIn.goto(viewer.link());
      await signIn.close();
      const base = viewer.url;
      const base0 = await timeLoads(context, baseline.url, (p) => p.locator('tr.row').first().waitFor());
      const sessions = await timeLoads(context, `${base}#/sessions`, (p) => p.locator('a.srow').first().waitFor());
      const session = await timeLoads(
        context,
        `${base}#/session/${BIG_SESSION}`,
        (p) => p.locator('.tl-row').first().waitFor(),
        (p) => p.waitForResponse((r) => r.url().includes('/roles'), { timeout: 120_000 }),
      );
      const exchange = await timeLoads(context, `${base}#/trace/${BIG_BODY_TRACE}`, (p) => p.locator('[data-body="request body"] .open-whole').waitFor());
      // Opening: from the click on "Open the whole body" on the exchange's page to the body's JSON tree drawn.
      const opens: number[] = [];
      for (let i = 0; i <= RUNS; i++) {
        const p = await context.newPage();
        await p.goto(`${base}#/trace/${BIG_BODY_TRACE}`);
        const button = p.locator('[data-body="request body"] .open-whole');
        await button.waitFor();
        const t = performance.now();
        await button.click();
        await button.waitFor({ state: 'detached', timeout: 60_000 });
        await p.locator('[data-body="request body"] .json-tree .j-toggle').first().waitFor();
        opens.push(performance.now() - t);
        await p.close();
      }
      const body = { first: opens[0]!, median: median(opens.slice(1)) };
      await context.close();
      const rows = [
        { what: 'sessions list, first rows', r: sessions, target: 1000 },
        { what: `session of ${BIG_REQUESTS} requests, first rows`, r: session, target: 1500 },
        { what: '10 MB body: click to its JSON tree', r: body, target: 1000 },
        { what: "10 MB body's exchange page, first drawn", r: exchange, target: null },
      ];
      console.log(`\nui: headless Chromium, navigation to first rows drawn (median of ${RUNS} fresh tabs after a warm-up), ${total} traces on the server database`);
      console.log('page                                    | first run | median  | target   | baseline (static page) | ratio');
      console.log('----------------------------------------+-----------+---------+----------+------------------------+------');
      for (const { what, r, target } of rows) {
        const ok = target === null || r.median <= target;
        if (!ok) process.exitCode = 1;
        console.log(
          `${what.padEnd(39)} | ${`${r.first.toFixed(0)} ms`.padStart(9)} | ${`${r.median.toFixed(0)} ms`.padStart(7)} | ${(target === null ? '–' : `≤${target} ms`).padStart(8)} | ${`${base0.median.toFixed(0)} ms`.padStart(22)} | ${(r.median / base0.median).toFixed(1).padStart(5)} ${ok ? 'ok' : 'BELOW TARGET'}`,
        );
      }
    } finally {
      await browser.close();
      await viewer.close();
      await db.close();
    }
  } finally {
    await baseline.close();
    await tmp.drop();
    cfg.remove();
  }
}
