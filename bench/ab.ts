// A/B benchmark of the capture proxy across a code change: an earlier commit (AB_BASE, default HEAD) is built in
// a temporary git worktree and run beside this checkout's build, both `ccproxy mitm start` in reverse mode
// against the same upstream, each writing to its own fresh database on the same server. Interleaved pairs (the
// order alternates, so drift on a shared machine falls on both sides equally); medians and the ratio are printed,
// with the target that the new build stays within 5% of the old.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOrCreateCA } from '../src/proxy/tls/ca.js';
import { createTempDatabase, serverAvailable, SERVER_URL } from '../test/helpers/pg.js';
import { median } from './median.js';
import { load, Processes } from './processes.js';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const ROOT = here('../..');
const PAIRS = Number(process.env.AB_PAIRS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = 16;

/** The commit built in a temporary worktree, with this checkout's node_modules; returns its CLI and a cleanup. */
function buildBase(ref: string): { cli: string; commit: string; remove(): void } {
  const commit = execFileSync('git', ['rev-parse', '--short', ref], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'ccproxy-ab-'));
  execFileSync('git', ['worktree', 'add', '--detach', dir, commit], { cwd: ROOT, stdio: 'ignore' });
  const remove = () => {
    execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: 'ignore' });
    const cli = join(dir, 'dist/src/cli/main.js');
    if (!existsSync(cli)) throw new Error(`the build of ${commit} has no ${cli}`);
    return { cli, commit, remove };
  } catch (err) {
    remove();
    throw err;
  }
}

export async function benchAb(): Promise<void> {
  if (!(await serverAvailable())) {
    console.log(`ab: SKIPPED, both sides write to the PostgreSQL server and none answers at ${SERVER_URL}`);
    return;
  }
  const ref = process.env.AB_BASE ?? 'HEAD';
  const base = buildBase(ref);
  const work = mkdtempSync(join(tmpdir(), 'ccproxy-ab-run-'));
  const dbs = [await createTempDatabase(), await createTempDatabase()];
  const procs = new Processes();
  try {
    const pem = await (await loadOrCreateCA(join(work, 'upstream-ca'))).pemFor('localhost');
    const up = JSON.parse((await procs.start(process.execPath, [here('./upstream.js')], { BENCH_TLS_KEY: pem.key, BENCH_TLS_CERT: pem.cert }, /^\{/)).line) as { http: number };
    const upstream = `http://127.0.0.1:${up.http}`;
    const sides = [
      { name: `old (${base.commit})`, cli: base.cli, db: dbs[0]!, rps: [] as number[], p50: [] as number[], errors: 0, url: '' },
      { name: 'new (this checkout)', cli: join(ROOT, 'dist/src/cli/main.js'), db: dbs[1]!, rps: [] as number[], p50: [] as number[], errors: 0, url: '' },
    ];
    // AB_NEW_YAML: the new side's ccproxy.yaml, to turn off what the old build lacks and compare the rest alone
    // (for example `ccproxy:\n  mitm:\n    journal: false\n    usage: false\n`).
    if (process.env.AB_NEW_YAML) {
      mkdirSync(join(work, '1'), { recursive: true });
      writeFileSync(join(work, '1', 'ccproxy.yaml'), process.env.AB_NEW_YAML);
    }
    for (const [i, side] of sides.entries()) {
      const { line } = await procs.start(process.execPath, [side.cli, 'mitm', 'start', '--port', '0', '--upstream', upstream], { CCPROXY_CONFIG_DIR: join(work, String(i)), CCPROXY_DATABASE_URL: side.db.url }, /listening on/);
      side.url = `${/listening on (http:\/\/\S+)/.exec(line)![1]}/v1/messages`;
      await load({ url: side.url, connections: CONNECTIONS, seconds: 2 }); // warm-up: connections, JIT
    }
    for (let pair = 0; pair < PAIRS; pair++) {
      for (const side of pair % 2 === 0 ? sides : [...sides].reverse()) {
        const r = await load({ url: side.url, connections: CONNECTIONS, seconds: SECONDS });
        side.rps.push(r.rps);
        side.p50.push(r.p50);
        side.errors += r.errors;
        if (process.env.BENCH_VERBOSE) console.error(`${side.name}: ${r.rps.toFixed(0)} req/s`);
      }
    }
    const [old, neu] = sides as [(typeof sides)[0], (typeof sides)[0]];
    const ratio = median(neu.rps) / median(old.rps);
    console.log(`\nab: ccproxy reverse + capture, ${CONNECTIONS} keep-alive connections, 1 KB JSON POSTs; ${PAIRS} interleaved pairs of ${SECONDS} s (medians); AB_BASE=${ref}${process.env.AB_NEW_YAML ? `; new side's ccproxy.yaml: ${JSON.stringify(process.env.AB_NEW_YAML)}` : ''}`);
    console.log('build                         |   req/s |  p50 ms | errors');
    console.log('------------------------------+---------+---------+-------');
    for (const s of sides) console.log(`${s.name.padEnd(29)} | ${median(s.rps).toFixed(0).padStart(7)} | ${median(s.p50).toFixed(2).padStart(7)} | ${s.errors}`);
    const ok = ratio >= 0.95 && old.errors + neu.errors === 0;
    console.log(`\nab target:\n  ${ok ? 'ok          ' : 'BELOW TARGET'}  new within 5% of old (${ratio.toFixed(3)}×), no errors`);
    if (!ok) process.exitCode = 1;
  } finally {
    procs.stop();
    await new Promise((r) => setTimeout(r, 500));
    for (const db of dbs) await db.drop().catch(() => {});
    rmSync(work, { recursive: true, force: true });
    base.remove();
  }
}
