// Claude Code prints what a run cost (`--output-format json`: total_cost_usd, and its usage per model); ccproxy
// prices the same calls from the wire. The real program from npm, through `ccproxy run` on the installed config,
// against a stand-in answering as a prompt-cached conversation does (cache reads, and cache writes of both TTLs),
// so every token kind is priced. A `-p` run makes a haiku side call besides the main model: one run, two models.
// The session's billed calls ("CCProxy_LlmCalls") must add up to Claude Code's own figure, model by model.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startAnthropicStandIn, type AnthropicStandIn } from './helpers/anthropic-standin.js';
import { ensureClients, setApiBase, startClientStack, type ClientStack } from './helpers/clients.js';

/**
 * Telemetry off, but not CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: that also turns off the haiku side call this
 * test needs. Its bootstrap calls to api.anthropic.com go out through the forward capture and fail (no network).
 */
const CLAUDE_QUIET = { DISABLE_TELEMETRY: '1' };

let standIn: AnthropicStandIn;
let stack: ClientStack;
before(async () => {
  await ensureClients();
  standIn = await startAnthropicStandIn({ cached: true });
  stack = await startClientStack(standIn.caPath, (dir) => setApiBase(join(dir, 'config.yaml'), 'anthropic', standIn.url));
});
after(async () => {
  await stack?.cleanup();
  await standIn?.close();
});

interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
  costUSD: number;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 + 1e-9 * Math.abs(b);

test("Claude Code's total_cost_usd equals the session's cost in CCProxy_LlmCalls, model by model (cache writes of both TTLs)", async () => {
  const r = await stack.run(['claude', '-p', 'Run the marker command with Bash and tell me what it printed.', '--allowedTools', 'Bash', '--output-format', 'json'], {
    ANTHROPIC_API_KEY: 'sk-ant-api03-test-not-a-real-key',
    ...CLAUDE_QUIET,
  });
  assert.equal(r.code, 0, `claude exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const result = JSON.parse(r.stdout) as { is_error: boolean; session_id: string; total_cost_usd: number; modelUsage?: Record<string, ModelUsage> };
  assert.equal(result.is_error, false, r.stdout);
  assert.ok(result.total_cost_usd > 0, r.stdout);
  await stack.stopCleanly();

  const calls = await stack.sql<{ model: string; n: number; cost: number; priced: number; w5m: number; w1h: number; reads: number }>(
    `SELECT coalesce(served_model, requested_model) AS model, count(*)::int AS n, sum(cost_usd)::float8 AS cost, count(cost_usd)::int AS priced,
            sum(cache_write_5m_tokens)::int AS w5m, sum(cache_write_1h_tokens)::int AS w1h, sum(cache_read_tokens)::int AS reads
       FROM "CCProxy_LlmCalls" WHERE session_id = '${result.session_id}' GROUP BY 1 ORDER BY 1`,
  );
  const models = calls.map((c) => c.model);
  assert.ok(models.includes('claude-opus-4-8') && models.some((m) => m.startsWith('claude-haiku-4-5')), `both models billed: ${JSON.stringify(calls)}; Claude Code: ${r.stdout}`);
  for (const c of calls) {
    assert.equal(c.priced, c.n, `every call of ${c.model} priced: ${JSON.stringify(c)}`);
    assert.ok(c.w5m > 0 && c.w1h > 0 && c.reads > 0, `cache reads and writes of both TTLs stored for ${c.model}: ${JSON.stringify(c)}`);
  }
  const total = calls.reduce((s, c) => s + c.cost, 0);
  assert.ok(close(total, result.total_cost_usd), `ccproxy: $${total}, Claude Code: $${result.total_cost_usd} (${JSON.stringify(calls)}; Claude Code per model: ${JSON.stringify(result.modelUsage)})`);
  for (const [model, u] of Object.entries(result.modelUsage ?? {})) {
    // Claude Code names a model with its context window: `claude-opus-4-8[1m]`.
    const ours = calls.find((c) => c.model === model.replace(/\[[^\]]*\]$/, ''));
    assert.ok(ours, `Claude Code billed ${model}, ccproxy has no calls of it: ${JSON.stringify(calls)}`);
    assert.ok(close(ours.cost, u.costUSD), `${model}: ccproxy $${ours.cost}, Claude Code $${u.costUSD}`);
  }
});
