// Proxy benchmark: one run, side by side — direct to the upstream, a bare keep-alive passthrough, ccproxy
// reverse with capture into the local server, ccproxy forward with TLS interception, and mitmdump (reverse and
// forward, where installed). Requests/s and p50/p99 at 16 connections with 1 KB JSON bodies, SSE time to first
// byte through each, and rows written against requests sent. WebSocket: small messages echoed over wss://
// directly and through the forward capture (messages per second, median round trip). Rounds are interleaved;
// medians are reported.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as netModule from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { accepts } from '../src/daemon/stop.js';
import { loadOrCreateCA } from '../src/proxy/tls/ca.js';
import { createTempDatabase, serverAvailable, SERVER_URL } from '../test/helpers/pg.js';
import { median } from './median.js';
import { load as loadOnce, Processes, runJson, type LoadResult } from './processes.js';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const CLI = here('../src/cli/main.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = 16;
/** The offered load at which the captures' CPU per request is compared. */
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 1000);
/** Rounds at that load: each loads the two captures of a comparison at once, and the median of their ratios is taken. */
const PACED_ROUNDS = Number(process.env.BENCH_PACED_ROUNDS ?? 9);

interface Scenario {
  name: string;
  /** What the load generator is pointed at. */
  url: string;
  proxy?: string;
  ca?: string;
  /** Counts the rows this scenario's proxy wrote, if it captures. */
  rows?: () => Promise<number>;
  /** The proxy process, whose CPU time per request is measured. */
  pid?: number;
  sent: number;
}

const procs = new Processes();
const start = (cmd: string, args: string[], env: Record<string, string> = {}, ready?: RegExp) => procs.start(cmd, args, env, ready);

const load = (s: Scenario, extra: string[] = []): Promise<LoadResult> => loadOnce({ url: s.url, connections: CONNECTIONS, seconds: SECONDS, proxy: s.proxy, ca: s.ca, extra });

/**
 * The scenarios in the order of one round: reversed every other round, so that no capture always runs right after
 * the same one (the passthrough's round leaves both cores hot) and drift during the run falls on each side alike.
 */
const inTurn = <T>(list: readonly T[], round: number): readonly T[] => (round % 2 === 0 ? list : [...list].reverse());

const wsLoad = (extra: string[]) => runJson<{ rate: number; rttP50: number; errors: number }>('./ws-load.js', [`--seconds=${SECONDS}`, ...extra]);

async function waitForMitmdump(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await accepts('127.0.0.1', port)) return;
    await sleep(100);
  }
  throw new Error(`mitmdump did not listen on ${port}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = netModule.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as netModule.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** CPU time (user + system) a process has used, in microseconds, from /proc. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

export async function benchProxy(): Promise<void> {
  if (!(await serverAvailable())) {
    console.log(`proxy: SKIPPED, the reverse capture writes to the PostgreSQL server and none answers at ${SERVER_URL}`);
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'ccproxy-bench-'));
  const db = await createTempDatabase();
  const db2 = await createTempDatabase(); // the journal-off reverse capture's rows, apart
  const db3 = await createTempDatabase(); // the usage-off reverse capture's rows, apart
  const db4 = await createTempDatabase(); // the capture with both off: the core the earlier target was set on
  const db5 = await createTempDatabase(); // the paced comparisons' A/A twin
  try {
    // The upstream's certificate comes from its own CA, which ccproxy trusts through NODE_EXTRA_CA_CERTS.
    const upstreamCa = await loadOrCreateCA(join(work, 'upstream-ca'));
    const pem = await upstreamCa.pemFor('localhost');
    const up = await start(process.execPath, [here('./upstream.js')], { BENCH_TLS_KEY: pem.key, BENCH_TLS_CERT: pem.cert });
    const ports = JSON.parse(up.line) as { http: number; https: number };
    const target = `http://127.0.0.1:${ports.http}/v1/messages`;
    const tlsTarget = `https://localhost:${ports.https}/v1/messages`;

    const pass = await start(process.execPath, [here('./passthrough.js'), `http://127.0.0.1:${ports.http}`]);
    const passPort = Number(pass.line);

    const revDir = join(work, 'reverse');
    const rev = await start(process.execPath, [CLI, 'mitm', 'start', '--port', '0', '--upstream', `http://127.0.0.1:${ports.http}`], { CCPROXY_CONFIG_DIR: revDir, CCPROXY_DATABASE_URL: db.url }, /listening on/);
    const revUrl = /listening on (http:\/\/\S+)/.exec(rev.line)![1]!;
    /** One more reverse capture beside it, with `mitm` settings of its own and its own database: what each costs. */
    const reverseWith = async (name: string, mitmYaml: string, url: string) => {
      const dir = join(work, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'ccproxy.yaml'), `ccproxy:\n  mitm:\n${mitmYaml}`);
      const p = await start(process.execPath, [CLI, 'mitm', 'start', '--port', '0', '--upstream', `http://127.0.0.1:${ports.http}`], { CCPROXY_CONFIG_DIR: dir, CCPROXY_DATABASE_URL: url }, /listening on/);
      return { url: `${/listening on (http:\/\/\S+)/.exec(p.line)![1]!}/v1/messages`, pid: p.child.pid! };
    };
    const revNj = await reverseWith('reverse-no-journal', '    journal: false\n', db2.url);
    const revNu = await reverseWith('reverse-no-usage', '    usage: false\n', db3.url);
    // Both off: the capture as it was when the 0.5× target was set.
    const revBare = await reverseWith('reverse-bare', '    journal: false\n    usage: false\n', db4.url);
    // The defaults again, for the paced comparisons only: what two identical captures differ by in the same rounds.
    const revTwin = await reverseWith('reverse-twin', '    journal: true\n    usage: true\n', db5.url);
    const fwdDir = join(work, 'forward');
    const fwd = await start(process.execPath, [CLI, 'mitm', 'start', '--mode', 'forward', '--port', '0'], { CCPROXY_CONFIG_DIR: fwdDir, CCPROXY_DATABASE_URL: db.url, NODE_EXTRA_CA_CERTS: upstreamCa.certPath }, /listening on/);
    const fwdUrl = /listening on (http:\/\/\S+)/.exec(fwd.line)![1]!;

    const client = new pg.Client(db.url);
    client.on('error', () => {}); // the database is dropped at the end while this client may still be open
    await client.connect();
    const countRows = (direction: number) => async () => Number((await client.query(`SELECT count(*) AS n FROM "CCProxy_HttpTraces" WHERE proxy_direction = $1 AND method = 'POST' AND path = '/v1/messages' AND status_code = 200`, [direction])).rows[0].n);

    const scenarios: Scenario[] = [
      { name: 'direct to upstream', url: target, sent: 0 },
      { name: 'bare Node passthrough', url: `http://127.0.0.1:${passPort}/v1/messages`, sent: 0 },
      { name: 'ccproxy reverse + capture', url: `${revUrl}/v1/messages`, rows: countRows(0), sent: 0, pid: rev.child.pid! },
      { name: 'reverse, journal off', ...revNj, sent: 0 },
      { name: 'reverse, usage stage off', ...revNu, sent: 0 },
      { name: 'reverse, journal+usage off', ...revBare, sent: 0 },
      { name: 'ccproxy forward TLS + capture', url: tlsTarget, proxy: fwdUrl, ca: join(fwdDir, 'ccproxy-ca.pem'), rows: countRows(1), sent: 0 },
    ];
    const hasMitmdump = spawnSync('mitmdump', ['--version']).status === 0;
    if (hasMitmdump) {
      // One confdir each: two mitmdumps creating a CA in the same directory at once can end up with different ones.
      const conf = join(work, 'mitmproxy-forward');
      const mrPort = await freePort();
      const mfPort = await freePort();
      // The spec's settings (stream_large_bodies=1m), no capture addon: mitmdump at its fastest.
      const common = ['-q', '--set', 'stream_large_bodies=1m'];
      procs.adopt(spawn('mitmdump', [...common, '--set', `confdir=${join(work, 'mitmproxy-reverse')}`, '--mode', `reverse:http://127.0.0.1:${ports.http}`, '--listen-host', '127.0.0.1', '--listen-port', String(mrPort)], { stdio: 'ignore' }));
      procs.adopt(spawn('mitmdump', [...common, '--set', `confdir=${conf}`, '--listen-host', '127.0.0.1', '--listen-port', String(mfPort), '--set', `ssl_verify_upstream_trusted_ca=${upstreamCa.certPath}`], { stdio: 'ignore' }));
      await waitForMitmdump(mrPort);
      await waitForMitmdump(mfPort);
      scenarios.push({ name: 'mitmdump reverse', url: `http://127.0.0.1:${mrPort}/v1/messages`, sent: 0 });
      scenarios.push({ name: 'mitmdump forward TLS', url: tlsTarget, proxy: `http://127.0.0.1:${mfPort}`, ca: join(conf, 'mitmproxy-ca-cert.pem'), sent: 0 });
    } else {
      console.log('proxy: mitmdump not installed (apt-get install mitmproxy): its rows are left out');
    }

    // BENCH_ONLY=regex keeps some scenarios (the passthrough, the baseline, always stays).
    const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
    if (only) scenarios.splice(0, scenarios.length, ...scenarios.filter((s) => only.test(s.name) || s.name === 'bare Node passthrough' || s.name === 'direct to upstream'));
    const results = new Map<string, { rps: number[]; p50: number[]; p99: number[]; cpu: number[]; ttfb: number; errors: number }>();
    for (const s of scenarios) {
      const w = await load({ ...s }, []); // warm-up: connections, JIT, certificates
      s.sent += w.requests!;
      results.set(s.name, { rps: [], p50: [], p99: [], cpu: [], ttfb: 0, errors: w.errors! });
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of inTurn(scenarios, round)) {
        const cpuBefore = s.pid ? cpuMicros(s.pid) : 0;
        const r = await load(s);
        if (s.pid) results.get(s.name)!.cpu.push((cpuMicros(s.pid) - cpuBefore) / r.requests!);
        if (process.env.BENCH_VERBOSE) console.error(`${s.name}: ${r.rps!.toFixed(0)} req/s`);
        s.sent += r.requests!;
        const acc = results.get(s.name)!;
        acc.rps.push(r.rps!);
        acc.p50.push(r.p50!);
        acc.p99.push(r.p99!);
        acc.errors += r.errors!;
      }
    }
    // CPU per request at the same offered load (PACED_RATE requests/s, below every capture's saturation): at
    // saturation a faster process writes fuller batches, which lowers its cost per request, so the journal and
    // usage-stage comparisons are made here, on equal terms. The two captures of a comparison are loaded at the
    // same time, each by its own client, so that whatever else the shared machine does falls on both alike; the
    // cost is the median over rounds of their ratio.
    const paced = new Map<string, number[]>();
    const pacedRatios = new Map<string, number[]>();
    const twin: Scenario = { name: 'reverse, the same again', ...revTwin, sent: 0 };
    const byName = (name: string) => [...scenarios, twin].find((s) => s.name === name && s.pid);
    const comparisons = [
      ['ccproxy reverse + capture', 'reverse, journal off'],
      ['ccproxy reverse + capture', 'reverse, usage stage off'],
      ['ccproxy reverse + capture', 'reverse, the same again'],
    ].filter(([a, b]) => byName(a!) && byName(b!)) as [string, string][];
    if (byName('ccproxy reverse + capture')) twin.sent += (await load({ ...twin }, [])).requests!; // its warm-up
    for (let round = 0; round < PACED_ROUNDS; round++) {
      for (const [withIt, without] of comparisons) {
        const pair = [byName(withIt)!, byName(without)!];
        const before = pair.map((s) => cpuMicros(s.pid!));
        const runs = await Promise.all(pair.map((s) => load(s, [`--rate=${PACED_RATE}`])));
        const perRequest = pair.map((s, i) => {
          s.sent += runs[i]!.requests!;
          const us = (cpuMicros(s.pid!) - before[i]!) / runs[i]!.requests!;
          paced.set(s.name, [...(paced.get(s.name) ?? []), us]);
          return us;
        });
        const key = `${withIt}|${without}`;
        pacedRatios.set(key, [...(pacedRatios.get(key) ?? []), perRequest[0]! / perRequest[1]!]);
      }
    }

    // SSE first byte: every scenario at once (a few idle streams each, so they hardly disturb one another).
    await Promise.all(scenarios.map(async (s) => (results.get(s.name)!.ttfb = (await load(s, ['--ttfb=5', '--connections=1'])).ttfb!)));

    // WebSocket over wss://: direct against the forward capture (intercepted, every message recorded).
    const wsTarget = `wss://localhost:${ports.https}/ws`;
    const wsScenarios = [
      { name: 'direct to upstream', args: [`--url=${wsTarget}`, `--ca=${upstreamCa.certPath}`] },
      { name: 'ccproxy forward TLS + capture', args: [`--url=${wsTarget}`, `--proxy=${fwdUrl}`, `--ca=${join(fwdDir, 'ccproxy-ca.pem')}`] },
    ];
    const wsResults = new Map(wsScenarios.map((w) => [w.name, { rate: [] as number[], rtt: [] as number[], errors: 0 }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const w of wsScenarios) {
        const r = await wsLoad(w.args);
        const acc = wsResults.get(w.name)!;
        acc.rate.push(r.rate);
        acc.rtt.push(r.rttP50);
        acc.errors += r.errors;
      }
    }

    // Every request sent through a capture point must become a row.
    const rowCounts = new Map<string, number>();
    for (const s of scenarios) {
      if (!s.rows) continue;
      let n = 0;
      for (let i = 0; i < 100; i++) {
        n = await s.rows();
        if (n >= s.sent) break;
        await sleep(100);
      }
      rowCounts.set(s.name, n);
    }
    await client.end();

    const base = results.get('bare Node passthrough')!;
    const direct = results.get('direct to upstream')!;
    const mitmRev = results.get('mitmdump reverse');
    const mitmFwd = results.get('mitmdump forward TLS');
    console.log(`\nproxy: ${CONNECTIONS} keep-alive connections, 1 KB JSON POSTs, ${ROUNDS} rounds of ${SECONDS} s (medians); SSE first byte: median of 5 streams on a warm connection, all scenarios at once`);
    console.log('scenario                      |   req/s | vs passthrough | vs mitmdump |  p50 ms |  p99 ms | SSE TTFB ms | +TTFB vs direct | requests | rows    | errors');
    console.log('------------------------------+---------+----------------+-------------+---------+---------+-------------+-----------------+----------+---------+-------');
    for (const s of scenarios) {
      const r = results.get(s.name)!;
      const rps = median(r.rps);
      const vsMitm = s.name.includes('reverse') && mitmRev ? rps / median(mitmRev.rps) : s.name.includes('forward') && mitmFwd ? rps / median(mitmFwd.rps) : NaN;
      const rows = rowCounts.has(s.name) ? `${rowCounts.get(s.name)}${rowCounts.get(s.name) === s.sent ? ' ok' : ' LOST'}` : '-';
      console.log(
        `${s.name.padEnd(29)} | ${rps.toFixed(0).padStart(7)} | ${(rps / median(base.rps)).toFixed(2).padStart(14)} | ${(Number.isNaN(vsMitm) ? '-' : vsMitm.toFixed(2)).padStart(11)} | ${median(r.p50).toFixed(2).padStart(7)} | ${median(r.p99).toFixed(2).padStart(7)} | ${r.ttfb.toFixed(1).padStart(11)} | ${(r.ttfb - direct.ttfb).toFixed(1).padStart(15)} | ${String(s.sent).padStart(8)} | ${rows.padEnd(7)} | ${r.errors}`,
      );
    }
    const wsDirect = wsResults.get('direct to upstream')!;
    console.log(`\nproxy, WebSocket: 4 wss:// connections × 16 small messages (90 B) in flight for ${SECONDS} s, then the median round trip of one message at a time; ${ROUNDS} rounds (medians)`);
    console.log('scenario                      | messages/s | vs direct | RTT p50 ms | +RTT vs direct | errors');
    console.log('------------------------------+------------+-----------+------------+----------------+-------');
    for (const w of wsScenarios) {
      const r = wsResults.get(w.name)!;
      console.log(
        `${w.name.padEnd(29)} | ${median(r.rate).toFixed(0).padStart(10)} | ${(median(r.rate) / median(wsDirect.rate)).toFixed(2).padStart(9)} | ${median(r.rtt).toFixed(3).padStart(10)} | ${(median(r.rtt) - median(wsDirect.rtt)).toFixed(3).padStart(14)} | ${r.errors}`,
      );
    }

    // The issue's targets, judged in the same run.
    const rpsOf = (name: string) => median(results.get(name)?.rps ?? []);
    const checks: [string, boolean][] = [];
    const revR = results.get('ccproxy reverse + capture');
    const fwdR = results.get('ccproxy forward TLS + capture');
    if (revR) checks.push([`reverse capture ≥ 0.5× the passthrough (${(rpsOf('ccproxy reverse + capture') / rpsOf('bare Node passthrough')).toFixed(2)}×)`, rpsOf('ccproxy reverse + capture') >= 0.5 * rpsOf('bare Node passthrough')]);
    for (const [name, r] of [['reverse', revR], ['forward', fwdR]] as const) {
      if (r) checks.push([`SSE first-byte overhead < 10 ms through ccproxy ${name} (${(r.ttfb - direct.ttfb).toFixed(1)} ms)`, r.ttfb - direct.ttfb < 10]);
    }
    const pacedOf = (name: string) => median(paced.get(name) ?? []);
    /** What `name` adds to the CPU per request of `without`: the median over rounds of the two loaded together. */
    const pacedCost = (name: string, without: string) => median(pacedRatios.get(`${name}|${without}`) ?? []) - 1;
    const noJournal = results.get('reverse, journal off');
    if (revR && noJournal) {
      // CPU time per request at the same paced load is what the journal adds; throughput on a shared machine is too noisy to show 5%.
      const cost = pacedCost('ccproxy reverse + capture', 'reverse, journal off');
      const rpsCost = 1 - rpsOf('ccproxy reverse + capture') / rpsOf('reverse, journal off');
      // A figure, not a target: the journal was to be measured here and, costing more than 5%, made a documented
      // setting with a measured default (`ccproxy.mitm.journal`, README "Durability").
      console.log(`\ncrash journal: ${pacedOf('ccproxy reverse + capture').toFixed(0)} µs of CPU per request with it, ${pacedOf('reverse, journal off').toFixed(0)} without at ${PACED_RATE} req/s (median of ${PACED_ROUNDS} rounds, both loaded at once: ${(cost * 100).toFixed(1)}%); at saturation ${median(revR.cpu).toFixed(0)} vs ${median(noJournal.cpu).toFixed(0)} µs, throughput ${(rpsCost * 100).toFixed(1)}% lower${cost > 0.05 ? ' (over 5%: `journal: false` under ccproxy.mitm turns it off; README, Durability)' : ''}`);
    }
    const noUsage = results.get('reverse, usage stage off');
    if (revR && noUsage) {
      const cost = pacedCost('ccproxy reverse + capture', 'reverse, usage stage off');
      const rpsCost = 1 - rpsOf('ccproxy reverse + capture') / rpsOf('reverse, usage stage off');
      console.log(`usage stage: ${pacedOf('ccproxy reverse + capture').toFixed(0)} µs of CPU per request with it, ${pacedOf('reverse, usage stage off').toFixed(0)} without at ${PACED_RATE} req/s (median of ${PACED_ROUNDS} rounds, both loaded at once: ${(cost * 100).toFixed(1)}%); at saturation ${median(revR.cpu).toFixed(0)} vs ${median(noUsage.cpu).toFixed(0)} µs, throughput ${(rpsCost * 100).toFixed(1)}% lower`);
      checks.push([`the usage stage costs ≤ 5% of the reverse capture's CPU per request at ${PACED_RATE} req/s (${(cost * 100).toFixed(1)}%)`, cost <= 0.05]);
    }
    if (pacedRatios.has('ccproxy reverse + capture|reverse, the same again')) {
      // Context for the two lines above, not a correction of them: the same comparison between identical captures.
      const aa = pacedCost('ccproxy reverse + capture', 'reverse, the same again');
      console.log(`A/A: the same capture again, compared the same way: ${pacedOf('reverse, the same again').toFixed(0)} µs a request (${(aa * 100).toFixed(1)}% apart; what the journal and usage figures can be read against)`);
    }
    checks.push(['every request through a capture point is a row', [...rowCounts.entries()].every(([name, n]) => n === scenarios.find((x) => x.name === name)!.sent)]);
    if (mitmRev && revR) checks.push([`reverse capture ≥ 5× mitmdump reverse (${(rpsOf('ccproxy reverse + capture') / median(mitmRev.rps)).toFixed(2)}×)`, rpsOf('ccproxy reverse + capture') >= 5 * median(mitmRev.rps)]);
    if (mitmFwd && fwdR) checks.push([`forward TLS ≥ 5× mitmdump forward (${(rpsOf('ccproxy forward TLS + capture') / median(mitmFwd.rps)).toFixed(2)}×)`, rpsOf('ccproxy forward TLS + capture') >= 5 * median(mitmFwd.rps)]);
    console.log('\nproxy targets:');
    for (const [what, ok] of checks) console.log(`  ${ok ? 'ok          ' : 'BELOW TARGET'}  ${what}`);
    if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
  } finally {
    procs.stop();
    await sleep(500);
    await db.drop().catch(() => {});
    await db2.drop().catch(() => {});
    await db3.drop().catch(() => {});
    await db4.drop().catch(() => {});
    await db5.drop().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
}
