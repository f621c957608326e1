// Gateway benchmark: the same 1 KB JSON POST direct to the upstream, through the bare keep-alive passthrough
// (bench/passthrough.ts) and through `ccproxy start` (parse, rules, alias, rewrite, re-serialise, undici out),
// in interleaved rounds of one run. Requests/s at 16 connections; p50 at 1 connection, where latency is the
// request's own and not queueing, gives the gateway's own overhead: its p50 minus the passthrough's.
// Translation (bench/translate.ts) is measured in the same run against same-format routes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './median.js';
import { load as loadOnce, Processes } from './processes.js';
import { firstByteOverhead, reportTranslation, translationCosts } from './translate.js';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = 16;
const TARGET_OVERHEAD_MS = 1;

const load = (url: string, connections: number, seconds: number) => loadOnce({ url, connections, seconds });

export async function benchGateway(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'ccproxy-bench-gw-'));
  const procs = new Processes();
  const start = async (args: string[], env: Record<string, string> = {}, ready?: RegExp) => (await procs.start(process.execPath, args, env, ready)).line;
  try {
    const ports = JSON.parse(await start([here('./upstream.js')], { BENCH_TLS_KEY: '', BENCH_TLS_CERT: '' })) as { http: number };
    const upstream = `http://127.0.0.1:${ports.http}`;
    const passPort = Number(await start([here('./passthrough.js'), upstream]));
    writeFileSync(join(work, 'config.yaml'), `model_list:\n  - model_name: default\n    litellm_params:\n      model: claude-bench\n  - model_name: claude-bench\n    litellm_params:\n      model: anthropic/claude-bench-upstream\n      api_base: ${upstream}\n  - model_name: gpt-bench\n    litellm_params:\n      model: openai/gpt-bench\n      api_base: ${upstream}/v1\n  - model_name: claude-sse\n    litellm_params:\n      model: anthropic/claude-bench\n      api_base: ${upstream}/anthropic-sse\n  - model_name: vllm-bench\n    litellm_params:\n      model: hosted_vllm/gpt-bench\n      api_base: ${upstream}/v1\n`);
    // The original's usual rules, none of which matches the benchmark request: every rule is evaluated.
    writeFileSync(join(work, 'ccproxy.yaml'), 'ccproxy:\n  rules:\n    - name: default\n      rule: ccproxy.rules.TokenCountRule\n      params:\n        - threshold: 60000\n    - name: default\n      rule: ccproxy.rules.MatchToolRule\n      params:\n        - tool_name: WebSearch\n    - name: default\n      rule: ccproxy.rules.MatchModelRule\n      params:\n        - model_name: haiku\n    - name: default\n      rule: ccproxy.rules.ThinkingRule\n');
    const line = await start([here('../src/cli/main.js'), 'start', '--port', '0'], { CCPROXY_CONFIG_DIR: work }, /listening on/);
    const gwUrl = /listening on (http:\/\/\S+)/.exec(line)![1]!;

    const scenarios = [
      { name: 'direct to upstream', url: `${upstream}/v1/messages` },
      { name: 'bare Node passthrough', url: `http://127.0.0.1:${passPort}/v1/messages` },
      { name: 'ccproxy gateway', url: `${gwUrl}/v1/messages` },
    ];
    const acc = new Map(scenarios.map((s) => [s.name, { rps: [] as number[], p50: [] as number[], p50c16: [] as number[], errors: 0, requests: 0 }]));
    for (const s of scenarios) await load(s.url, CONNECTIONS, 1); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of scenarios) {
        const a = acc.get(s.name)!;
        const many = await load(s.url, CONNECTIONS, SECONDS);
        const one = await load(s.url, 1, Math.max(1, SECONDS / 2));
        a.rps.push(many.rps);
        a.p50c16.push(many.p50);
        a.p50.push(one.p50);
        a.errors += many.errors + one.errors;
        a.requests += many.requests + one.requests;
      }
    }
    console.log(`\ngateway: 1 KB JSON POSTs to /v1/messages, ${ROUNDS} interleaved rounds (medians); req/s and p50 at ${CONNECTIONS} connections, p50 alone at 1 connection`);
    console.log('scenario                |   req/s | vs passthrough | p50 ms @16 | p50 ms @1 | requests | errors');
    console.log('------------------------+---------+----------------+------------+-----------+----------+-------');
    const base = acc.get('bare Node passthrough')!;
    for (const s of scenarios) {
      const a = acc.get(s.name)!;
      console.log(`${s.name.padEnd(23)} | ${median(a.rps).toFixed(0).padStart(7)} | ${(median(a.rps) / median(base.rps)).toFixed(2).padStart(14)} | ${median(a.p50c16).toFixed(3).padStart(10)} | ${median(a.p50).toFixed(3).padStart(9)} | ${String(a.requests).padStart(8)} | ${a.errors}`);
    }
    const gw = acc.get('ccproxy gateway')!;
    const overhead = median(gw.p50) - median(base.p50);
    const ok = overhead < TARGET_OVERHEAD_MS && gw.errors === 0;
    console.log('\ngateway targets:');
    console.log(`  ${ok ? 'ok          ' : 'BELOW TARGET'}  gateway's own overhead at p50 (1 connection) < ${TARGET_OVERHEAD_MS} ms: ${overhead.toFixed(3)} ms over the passthrough${gw.errors ? `; ${gw.errors} errors` : ''}`);
    const translatedOk = reportTranslation(translationCosts(), await firstByteOverhead(gwUrl));
    if (!ok || !translatedOk) process.exitCode = 1;
  } finally {
    procs.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
