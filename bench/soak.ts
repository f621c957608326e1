// Soak and footprint benchmark: `ccproxy start --mitm --detach` (the built CLI) under a steady request rate
// for SOAK_MINUTES (default 10) on each backend — the embedded database in a fresh config directory, then the
// PostgreSQL server in a fresh database. Every minute: the process tree's resident memory (VmRSS summed over
// the daemon and its descendants), how many processes that is, and the writer's counters from the control
// endpoint. At the end: rows against requests, the RSS slope after warm-up, the idle RSS once the load stops,
// and the first start's peak (the tree sampled every 100 ms while a fresh config directory is set up).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { paths } from '../src/config/paths.js';
import { queryControl } from '../src/daemon/control.js';
import { readStateFile } from '../src/daemon/state.js';
import { loadOrCreateCA } from '../src/proxy/tls/ca.js';
import type { WriterCounters } from '../src/store/writer.js';
import { createTempDatabase, serverAvailable, SERVER_URL } from '../test/helpers/pg.js';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const CLI = here('../src/cli/main.js');
const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
/** A steady rate well inside what the stack sustains on a small machine, so the soak measures holding, not peak. */
const RATE = Number(process.env.SOAK_RATE ?? 300);
const CONNECTIONS = 8;
/** How often the progress line prints (a minute, or the whole run when it is shorter). */
const REPORT_MS = Math.min(60_000, MINUTES * 60_000);
/** The part of the run taken as warm-up (JIT, pools, caches) before RSS is expected to stay flat. */
const WARMUP_MS = Math.min(60_000, (MINUTES * 60_000) / 2);
/** How long the daemon sits without traffic before its idle RSS is read. */
const IDLE_MS = Number(process.env.SOAK_IDLE_SECONDS ?? 30) * 1000;
const SAMPLE_MS = 1_000;
const FIRST_START_SAMPLE_MS = 100;

const TARGETS = { embeddedIdleMb: 200, firstStartPeakMb: 400, serverIdleMb: 100 };

interface TreeSample {
  at: number;
  rssMb: number;
  processes: number;
}

/** The process and its descendants, from /proc: how many, and their VmRSS summed. */
export function treeRss(root: number): { rssMb: number; processes: number } {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      /* gone meanwhile */
    }
  }
  let kb = 0;
  let processes = 0;
  for (const queue = [root]; queue.length; ) {
    const pid = queue.pop()!;
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      processes++;
    } catch {
      continue;
    }
    queue.push(...(children.get(pid) ?? []));
  }
  return { rssMb: kb / 1024, processes };
}

/**
 * Where a process's resident memory is, from /proc/<pid>/smaps: malloc's main heap (`[heap]`), other anonymous
 * mappings (V8's heap, malloc's other arenas, thread stacks) and file-backed pages (the node binary, libraries).
 */
export function rssBreakdown(pid: number): { heapMb: number; anonMb: number; fileMb: number } {
  const out = { heapMb: 0, anonMb: 0, fileMb: 0 };
  let kind: keyof typeof out = 'anonMb';
  try {
    for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
      const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
      if (head) {
        const name = head[2]!.trim();
        kind = name === '[heap]' ? 'heapMb' : name.startsWith('/') ? 'fileMb' : 'anonMb';
      } else if (line.startsWith('Rss:')) out[kind] += Number(/(\d+)/.exec(line)![1]) / 1024;
    }
  } catch {
    /* gone */
  }
  return out;
}

/** Least-squares slope of RSS over time, in MB per minute. */
function slopeMbPerMinute(samples: TreeSample[]): number {
  if (samples.length < 2) return NaN;
  const xs = samples.map((s) => s.at / 60_000);
  const ys = samples.map((s) => s.rssMb);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return num / den;
}

interface BackendResult {
  backend: 'embedded' | 'server';
  startMs: number;
  firstStartPeakMb: number;
  idleAfterStartMb: number;
  peakUnderLoadMb: number;
  afterWarmupMb: number;
  lastUnderLoadMb: number;
  slope: number;
  idleAfterLoadMb: number;
  processes: number;
  sent: number;
  errors: number;
  reverseRows: number;
  forwardRows: number;
  writer: WriterCounters | null;
  stopCode: number | null;
}

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

async function runLoad(url: string, seconds: number): Promise<{ requests: number; errors: number; rps: number; p99: number }> {
  const child = spawn(process.execPath, [here('./load.js'), `--url=${url}`, `--connections=${CONNECTIONS}`, `--seconds=${seconds}`, `--rate=${RATE}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  await once(child, 'exit');
  return JSON.parse(out);
}

const mb = (n: number) => `${n.toFixed(0)} MB`;

async function soakBackend(backend: 'embedded' | 'server', upstreamUrl: string, caPath: string, work: string): Promise<BackendResult> {
  const dir = mkdtempSync(join(work, `${backend}-`));
  writeFileSync(paths.modelsFile(dir), `model_list:\n  - model_name: claude-bench\n    litellm_params:\n      model: anthropic/claude-bench-upstream\n      api_base: ${upstreamUrl}\n`);
  writeFileSync(paths.configFile(dir), 'ccproxy:\n  port: 0\n  mitm:\n    port: 0\n');
  const db = backend === 'server' ? await createTempDatabase() : null;
  const env: Record<string, string> = { CCPROXY_CONFIG_DIR: dir, NODE_EXTRA_CA_CERTS: caPath };
  if (db) env.CCPROXY_DATABASE_URL = db.url;
  try {
    // First start on a fresh config directory (CA, database: initdb and migrations when embedded, listeners), as
    // a user starts it: in the background. The peak is the tree of `start --detach`, its background child included.
    const t0 = performance.now();
    const starter = spawn(process.execPath, [CLI, 'start', '--mitm', '--detach'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(starter);
    let out = '';
    starter.stdout!.on('data', (d) => (out += d));
    starter.stderr!.on('data', (d) => (out += d));
    let firstStartPeakMb = 0;
    const peakTimer = setInterval(() => (firstStartPeakMb = Math.max(firstStartPeakMb, treeRss(starter.pid!).rssMb)), FIRST_START_SAMPLE_MS);
    const [startCode] = (await once(starter, 'exit')) as [number | null];
    clearInterval(peakTimer);
    const startMs = performance.now() - t0;
    const state = readStateFile(dir);
    if (startCode !== 0 || !state) throw new Error(`ccproxy start --mitm --detach (${backend}) failed (${startCode}):\n${out}`);
    const daemon = { pid: state.pid };
    const mainUrl = state.url;
    firstStartPeakMb = Math.max(firstStartPeakMb, treeRss(daemon.pid).rssMb);
    const counters = async () => (await queryControl(state.controlPort))?.writer ?? null;
    await sleep(Math.min(IDLE_MS, 10_000));
    const idleAfterStartMb = treeRss(daemon.pid).rssMb;
    console.log(`\nsoak, ${backend}: first start ${(startMs / 1000).toFixed(1)} s, peak ${mb(firstStartPeakMb)}, idle after start ${mb(idleAfterStartMb)}; ${RATE} req/s for ${MINUTES} min through ${mainUrl}`);
    console.log('minute | sent total | req/s | errors | p99 ms | tree RSS | max RSS | processes | writer: queued  written  spilled  replayed  failed  dropped  state');

    const samples: TreeSample[] = [];
    const loadStart = performance.now();
    const sampler = setInterval(() => samples.push({ at: performance.now() - loadStart, ...treeRss(daemon.pid) }), SAMPLE_MS);
    let sent = 0;
    let errors = 0;
    const totalMs = MINUTES * 60_000;
    for (let minute = 1; performance.now() - loadStart < totalMs - 500; minute++) {
      const seconds = Math.min(REPORT_MS, totalMs - (performance.now() - loadStart)) / 1000;
      const r = await runLoad(`${mainUrl}/v1/messages`, seconds);
      sent += r.requests;
      errors += r.errors;
      const now = treeRss(daemon.pid);
      const since = samples.filter((s) => s.at >= performance.now() - loadStart - seconds * 1000);
      const max = Math.max(now.rssMb, ...since.map((s) => s.rssMb));
      const w = await counters();
      console.log(
        `${String(minute).padStart(6)} | ${String(sent).padStart(10)} | ${r.rps.toFixed(0).padStart(5)} | ${String(r.errors).padStart(6)} | ${r.p99.toFixed(1).padStart(6)} | ${mb(now.rssMb).padStart(8)} | ${mb(max).padStart(7)} | ${String(now.processes).padStart(9)} | ` +
          (w ? `${String(w.queued).padStart(13)} ${String(w.written).padStart(8)} ${String(w.spilled).padStart(8)} ${String(w.replayed).padStart(9)} ${String(w.failed).padStart(7)} ${String(w.dropped).padStart(8)}  ${w.state}` : 'unknown'),
      );
    }
    clearInterval(sampler);
    const afterWarmup = samples.filter((s) => s.at >= WARMUP_MS);
    const peakUnderLoadMb = Math.max(...samples.map((s) => s.rssMb));

    // Rows against requests: every request is one row at the reverse capture and one at the forward capture.
    const client = new pg.Client(db ? db.url : state.database!.url);
    client.on('error', () => {});
    await client.connect();
    const rows = async (direction: number) => Number((await client.query(`SELECT count(*) AS n FROM "CCProxy_HttpTraces" WHERE proxy_direction = $1 AND path = '/v1/messages' AND status_code = 200`, [direction])).rows[0].n);
    let reverseRows = 0;
    let forwardRows = 0;
    for (let i = 0; i < 100; i++) {
      [reverseRows, forwardRows] = [await rows(0), await rows(1)];
      if (reverseRows >= sent - errors && forwardRows >= sent - errors) break;
      await sleep(100);
    }
    await client.end();

    await sleep(IDLE_MS);
    const idle = treeRss(daemon.pid);
    const parts = rssBreakdown(daemon.pid);
    console.log(`idle after load, ${backend}: ${mb(idle.rssMb)} (daemon: malloc heap ${mb(parts.heapMb)}, other anonymous ${mb(parts.anonMb)}, files ${mb(parts.fileMb)})`);
    const writer = await counters();
    const stopper = spawn(process.execPath, [CLI, 'stop'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    const [stopCode] = (await once(stopper, 'exit')) as [number | null];
    return {
      backend,
      startMs,
      firstStartPeakMb,
      idleAfterStartMb,
      peakUnderLoadMb,
      afterWarmupMb: afterWarmup[0]?.rssMb ?? NaN,
      lastUnderLoadMb: afterWarmup.at(-1)?.rssMb ?? NaN,
      slope: slopeMbPerMinute(afterWarmup),
      idleAfterLoadMb: idle.rssMb,
      processes: idle.processes,
      sent,
      errors,
      reverseRows,
      forwardRows,
      writer,
      stopCode,
    };
  } finally {
    spawnSync(process.execPath, [CLI, 'stop'], { env: { ...process.env, ...env }, stdio: 'ignore' }); // after a failure
    await db?.drop().catch(() => {});
  }
}

export async function benchSoak(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'ccproxy-soak-'));
  try {
    // An HTTPS stand-in provider whose certificate comes from its own CA, trusted through NODE_EXTRA_CA_CERTS.
    const upstreamCa = await loadOrCreateCA(join(work, 'upstream-ca'));
    const pem = await upstreamCa.pemFor('localhost');
    const upstream = spawn(process.execPath, [here('./upstream.js')], { env: { ...process.env, BENCH_TLS_KEY: pem.key, BENCH_TLS_CERT: pem.cert }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(upstream);
    const [line] = (await once(createInterface({ input: upstream.stdout! }), 'line')) as [string];
    const ports = JSON.parse(line) as { https: number };
    const upstreamUrl = `https://localhost:${ports.https}`;

    // SOAK_BACKENDS=server (or embedded) runs one of them.
    const wanted = (process.env.SOAK_BACKENDS ?? 'embedded,server').split(',').map((b) => b.trim());
    const backends: ('embedded' | 'server')[] = [];
    if (wanted.includes('embedded')) backends.push('embedded');
    if (!wanted.includes('server')) {
      /* left out by request */
    } else if (await serverAvailable()) backends.push('server');
    else console.log(`soak: the server backend is left out, no PostgreSQL answers at ${SERVER_URL}`);
    const results: BackendResult[] = [];
    for (const b of backends) results.push(await soakBackend(b, upstreamUrl, upstreamCa.certPath, work));

    console.log(`\nsoak summary: ${RATE} req/s for ${MINUTES} min through ccproxy start --mitm --detach; RSS is VmRSS summed over the daemon's process tree`);
    console.log('backend   | processes | first start | start peak | idle after start | peak under load | after warm-up → last | slope MB/min | idle after load | sent    | errors | reverse rows | forward rows | spilled | dropped | stop');
    console.log('----------+-----------+-------------+------------+------------------+-----------------+----------------------+--------------+-----------------+---------+--------+--------------+--------------+---------+---------+-----');
    const checks: [string, boolean][] = [];
    for (const r of results) {
      const ok = r.sent - r.errors;
      console.log(
        `${r.backend.padEnd(9)} | ${String(r.processes).padStart(9)} | ${`${(r.startMs / 1000).toFixed(1)} s`.padStart(11)} | ${mb(r.firstStartPeakMb).padStart(10)} | ${mb(r.idleAfterStartMb).padStart(16)} | ${mb(r.peakUnderLoadMb).padStart(15)} | ${`${mb(r.afterWarmupMb)} → ${mb(r.lastUnderLoadMb)}`.padStart(20)} | ${r.slope.toFixed(2).padStart(12)} | ${mb(r.idleAfterLoadMb).padStart(15)} | ${String(r.sent).padStart(7)} | ${String(r.errors).padStart(6)} | ${`${r.reverseRows}${r.reverseRows === ok ? ' ok' : ' MISMATCH'}`.padStart(12)} | ${`${r.forwardRows}${r.forwardRows === ok ? ' ok' : ' MISMATCH'}`.padStart(12)} | ${String(r.writer?.spilled ?? '?').padStart(7)} | ${String(r.writer?.dropped ?? '?').padStart(7)} | ${r.stopCode}`,
      );
      checks.push([`${r.backend}: rows = requests (${r.reverseRows} reverse, ${r.forwardRows} forward, ${ok} answered, ${r.errors} errors)`, r.reverseRows === ok && r.forwardRows === ok && r.errors === 0]);
      if (r.backend === 'embedded') {
        checks.push([`embedded: idle after load ≤ ${TARGETS.embeddedIdleMb} MB (${mb(r.idleAfterLoadMb)})`, r.idleAfterLoadMb <= TARGETS.embeddedIdleMb]);
        checks.push([`embedded: first start peak ≤ ${TARGETS.firstStartPeakMb} MB (${mb(r.firstStartPeakMb)})`, r.firstStartPeakMb <= TARGETS.firstStartPeakMb]);
      } else {
        checks.push([`server: idle after load ≤ ${TARGETS.serverIdleMb} MB (${mb(r.idleAfterLoadMb)})`, r.idleAfterLoadMb <= TARGETS.serverIdleMb]);
      }
    }
    console.log('\nsoak targets:');
    for (const [what, ok] of checks) console.log(`  ${ok ? 'ok          ' : 'BELOW TARGET'}  ${what}`);
    console.log('  (RSS flat after warm-up: read the slope and after warm-up → last columns; a leak shows as a steady positive slope over a 10-minute run)');
    if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await sleep(300);
    rmSync(work, { recursive: true, force: true });
  }
}
