// CLI start-up benchmark: the commands people and scripts run often and expect at once (--help, status, db url)
// against `node -e 0`, the least any Node program costs, in interleaved rounds of one run. Target: each within
// 100 ms of the baseline (what lazy loading in src/cli/main.ts and the commands is for).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './median.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const ROUNDS = Number(process.env.BENCH_CLI_ROUNDS ?? 15);
const TARGET_MS = 100;

interface Scenario {
  name: string;
  args: string[];
  /** The config directory it runs with. */
  dir: string;
  /** The exit code and a line of output that show it did what it should. */
  code: number;
  out: RegExp;
  /** Shown for comparison only, without a target. */
  info?: boolean;
}

/** One run: wall-clock milliseconds from spawn to exit, as a shell user waits for it. */
function run(s: Scenario, env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, s.args, { env: { ...env, CCPROXY_CONFIG_DIR: s.dir }, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== s.code || !s.out.test(r.stdout + r.stderr)) {
    throw new Error(`${s.name}: exit ${r.status ?? r.signal}, expected ${s.code}\n${r.stdout}${r.stderr}`);
  }
  return ms;
}

export async function benchCli(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'ccproxy-bench-cli-'));
  try {
    // A fresh, empty config directory: nothing runs there, no ccproxy.yaml. The other one has a ccproxy.yaml,
    // which costs the YAML parser and the schema validator: shown beside, for comparison.
    const empty = mkdtempSync(join(work, 'empty-'));
    const withFile = mkdtempSync(join(work, 'with-file-'));
    writeFileSync(join(withFile, 'ccproxy.yaml'), 'ccproxy:\n  mitm:\n    port: 8081\n');
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('CCPROXY_') || k === 'DATABASE_URL') delete env[k];

    const scenarios: Scenario[] = [
      { name: 'node -e 0 (baseline)', args: ['-e', '0'], dir: empty, code: 0, out: /^$/ },
      { name: 'ccproxy --help', args: [CLI, '--help'], dir: empty, code: 0, out: /^ccproxy — capture/ },
      { name: 'ccproxy status', args: [CLI, 'status'], dir: empty, code: 3, out: /ccproxy is not running/ },
      { name: 'ccproxy db url', args: [CLI, 'db', 'url'], dir: empty, code: 3, out: /no ccproxy process is serving the embedded database/ },
      { name: 'status, with ccproxy.yaml', args: [CLI, 'status'], dir: withFile, code: 3, out: /ccproxy is not running/, info: true },
    ];
    const times = new Map(scenarios.map((s) => [s, [] as number[]]));
    for (const s of scenarios) run(s, env); // warm-up: files into the page cache
    for (let round = 0; round < ROUNDS; round++) for (const s of scenarios) times.get(s)!.push(run(s, env));

    const base = median(times.get(scenarios[0]!)!);
    console.log(`\ncli: wall time from spawn to exit, ${ROUNDS} interleaved rounds (medians); status and db url in an empty config directory (not running)`);
    console.log('command                    | median ms | min ms | vs baseline ms | target');
    console.log('---------------------------+-----------+--------+----------------+--------');
    for (const s of scenarios) {
      const t = times.get(s)!;
      const diff = median(t) - base;
      const target = s === scenarios[0] ? '' : s.info ? '(none)' : `≤${TARGET_MS}`;
      console.log(`${s.name.padEnd(26)} | ${median(t).toFixed(1).padStart(9)} | ${Math.min(...t).toFixed(1).padStart(6)} | ${(s === scenarios[0] ? '' : `${diff >= 0 ? '+' : ''}${diff.toFixed(1)}`).padStart(14)} | ${target}`);
    }
    console.log('\ncli targets:');
    let failed = false;
    for (const s of scenarios.slice(1).filter((x) => !x.info)) {
      const diff = median(times.get(s)!) - base;
      const ok = diff <= TARGET_MS;
      failed ||= !ok;
      console.log(`  ${ok ? 'ok          ' : 'BELOW TARGET'}  ${s.name} within ${TARGET_MS} ms of node -e 0: ${diff >= 0 ? '+' : ''}${diff.toFixed(1)} ms`);
    }
    if (failed) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
