// `ccproxy route` as a user runs it: the built binary on a config directory written by `ccproxy install` (only
// api_base edited), explaining where requests would go in text and JSON, with a request body the rules see, and
// the gateway's own 404 when nothing routes the model. No ccproxy is running and nothing is sent.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from './helpers/cli.js';
import { tempConfigDir } from './helpers/pg.js';

const ANTHROPIC_BASE = 'https://anthropic.stand-in.test:8443';
const OPENAI_BASE = 'https://openai.stand-in.test/v1';

describe('ccproxy route', () => {
  let cfg: ReturnType<typeof tempConfigDir>;
  let env: Record<string, string>;
  let models: string;
  /** The config.yaml line of the claude-* entry. */
  let claudeLine: number;
  before(async () => {
    cfg = tempConfigDir();
    env = { CCPROXY_CONFIG_DIR: cfg.dir };
    const installed = await runCli(['install'], env);
    assert.equal(installed.code, 0, installed.stderr);
    models = join(cfg.dir, 'config.yaml');
    const text = readFileSync(models, 'utf8');
    claudeLine = text.split('\n').indexOf('  - model_name: claude-*') + 1;
    assert.ok(claudeLine > 0);
    writeFileSync(models, text.replace('# api_base: https://api.anthropic.com', `api_base: ${ANTHROPIC_BASE}`).replace('# api_base: https://api.openai.com/v1', `api_base: ${OPENAI_BASE}`));
    // Rules: a built-in that reads the body, and a custom rule module (loaded as start loads it).
    writeFileSync(join(cfg.dir, 'tools.mjs'), 'export default (request) => Array.isArray(request.tools) && request.tools.some((t) => t.name === "Deploy");\n');
    writeFileSync(join(cfg.dir, 'ccproxy.yaml'), 'ccproxy:\n  rules:\n    - name: think\n      rule: ccproxy.rules.ThinkingRule\n    - name: background\n      rule: ./tools.mjs\n');
  });
  after(() => cfg.remove());

  test('text: the pattern, the deployment with its config.yaml line, and the full URL with the edited base', async () => {
    const r = await runCli(['route', 'claude-opus-4-8'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith(`claude-opus-4-8 → anthropic/claude-opus-4-8 at ${ANTHROPIC_BASE}/v1/messages\n`), r.stdout);
    assert.match(r.stdout, /rule {8}no rule matched → label "default"; default_model_passthrough: routed by the requested model/);
    assert.ok(r.stdout.includes(`"claude-opus-4-8" matches pattern "claude-*" (${models}:${claudeLine}), * = "opus-4-8" → anthropic/claude-opus-4-8`), r.stdout);
    assert.ok(r.stdout.includes(`deployment  "claude-*" (${models}:${claudeLine})`), r.stdout);
    assert.ok(r.stdout.includes(`  url       ${ANTHROPIC_BASE}/v1/messages`), r.stdout);
    // The files `ccproxy install` wrote load without a warning (no LiteLLM key left unimplemented).
    assert.equal(r.stderr, '');
    const gpt = await runCli(['route', 'gpt-5'], env);
    assert.equal(gpt.code, 0, gpt.stderr);
    assert.ok(gpt.stdout.includes(`  url       ${OPENAI_BASE}/chat/completions`), gpt.stdout);
    assert.match(gpt.stdout, /request {5}POST \/v1\/chat\/completions/);
  });

  test('--json: the alias chain through a pattern, the deployment and its URL', async () => {
    const r = await runCli(['route', 'default', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.routed, true);
    assert.deepEqual(j.chain.map((s: { name: string; via: string; entry: string; target: string }) => [s.name, s.via, s.entry, s.target]), [
      ['default', 'name', 'default', 'claude-opus-4-8'],
      ['claude-opus-4-8', 'pattern', 'claude-*', 'anthropic/claude-opus-4-8'],
    ]);
    assert.deepEqual({ ...j.deployment, where: undefined }, { name: 'claude-*', where: undefined, provider: 'anthropic', format: 'anthropic', model: 'claude-opus-4-8', api_base: `${ANTHROPIC_BASE}/`, url: `${ANTHROPIC_BASE}/v1/messages`, api_key: null, extra_headers: [], unusable: null });
    assert.equal(j.deployment.where, `${models}:${claudeLine}`);
    assert.equal(j.rule, null);
  });

  test('--body: the rules see the request (a file, and stdin with -); the label is followed to its deployment', async () => {
    const body = join(cfg.dir, 'thinking.json');
    writeFileSync(body, JSON.stringify({ model: 'ignored', max_tokens: 100, thinking: { type: 'enabled', budget_tokens: 50 }, messages: [{ role: 'user', content: 'hi' }] }));
    const r = await runCli(['route', 'claude-haiku-4-5-20251001', '--body', body, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.rule, { name: 'think', index: 0, rule: 'ccproxy.rules.ThinkingRule', where: `${join(cfg.dir, 'ccproxy.yaml')}:3` });
    assert.equal(j.label, 'think');
    assert.equal(j.routed_by, 'label');
    assert.equal(j.deployment.model, 'claude-opus-4-8');
    const text = await runCli(['route', 'claude-haiku-4-5-20251001', '--body', '-'], env, JSON.stringify({ tools: [{ name: 'Deploy', input_schema: { type: 'object' } }], messages: [] }));
    assert.equal(text.code, 0, text.stderr);
    assert.ok(text.stdout.startsWith(`claude-haiku-4-5-20251001 → anthropic/claude-haiku-4-5-20251001 at ${ANTHROPIC_BASE}/v1/messages`), text.stdout);
    assert.ok(text.stdout.includes(`rule "background" matched (./tools.mjs, ${join(cfg.dir, 'ccproxy.yaml')}:5) → label "background"`), text.stdout);
    assert.match(text.stdout, /the body of stdin/);
    // Without the body the same model is routed by its name.
    const plain = JSON.parse((await runCli(['route', 'claude-haiku-4-5-20251001', '--json'], env)).stdout);
    assert.equal(plain.rule, null);
    assert.equal(plain.routed_by, 'model');
  });

  test('a group of deployments, where failures go, and the LiteLLM keys ccproxy ignores in one warning', async () => {
    const dir = tempConfigDir();
    try {
      writeFileSync(
        join(dir.dir, 'config.yaml'),
        `model_list:
  - model_name: main
    litellm_params: {model: openai/gpt-5, api_base: "${OPENAI_BASE}", weight: 3, rpm: 100}
  - model_name: main
    litellm_params: {model: anthropic/claude-opus-4-8, api_base: "${ANTHROPIC_BASE}", weight: 1, api_version: "1"}
  - model_name: spare
    litellm_params: {model: openai/gpt-5-mini, api_base: "${OPENAI_BASE}"}
router_settings:
  num_retries: 2
  fallbacks: [{main: [spare]}]
litellm_settings:
  drop_params: true
`,
      );
      const e = { CCPROXY_CONFIG_DIR: dir.dir };
      const r = await runCli(['route', 'main'], e);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /group {7}2 deployments named "main"; the router picks one per request \(simple-shuffle\):\n  openai\/gpt-5 \(\S+config\.yaml:2\) weight 3, rpm 100\n  anthropic\/claude-opus-4-8 \(\S+config\.yaml:4\) weight 1/);
      assert.match(r.stdout, /failures {4}2 retries in the group, then "spare"/);
      assert.equal(r.stderr, `warning: ${join(dir.dir, 'config.yaml')}: LiteLLM settings ccproxy does not implement, ignored: model_list[].litellm_params.api_version, litellm_settings.drop_params\n`);
      const j = JSON.parse((await runCli(['route', 'main', '--json'], e)).stdout);
      assert.deepEqual(j.group.map((g: { model: string; weight: number }) => [g.model, g.weight]), [['openai/gpt-5', 3], ['anthropic/claude-opus-4-8', 1]]);
      assert.deepEqual(j.fallbacks, ['spare']);
    } finally {
      dir.remove();
    }
  });

  test("no route: the gateway's 404 message, exit 1 (text and --json); a bad body is named", async () => {
    const r = await runCli(['route', 'llama-3.1-70b'], env);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.includes(`ccproxy: 404 model "llama-3.1-70b" has no route: ${models} has no model_name "llama-3.1-70b" and no pattern matches it; configured model names: default, background, think; patterns: claude-*, gpt-*, o1*, o3*, o4*, codex-*, text-embedding-*, gemini-*`), r.stderr);
    const j = await runCli(['route', 'llama-3.1-70b', '--json'], env);
    assert.equal(j.code, 1);
    assert.deepEqual(JSON.parse(j.stdout).error.status, 404);
    const bad = await runCli(['route', 'gpt-5', '--body', '-'], env, '[1, 2]');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--body stdin: expected a JSON object/);
    const usage = await runCli(['route'], env);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage: ccproxy route <model>/);
  });

  test('--from: the client API is fixed and the translation is explained — formats, what is mapped, what this body loses', async () => {
    const body = join(cfg.dir, 'chat-body.json');
    writeFileSync(body, JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], seed: 7, tools: [{ type: 'function', function: { name: 'Bash', parameters: { type: 'object' } } }] }));
    const r = await runCli(['route', 'claude-opus-4-8', '--from', 'chat', '--body', body], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /request {5}POST \/v1\/chat\/completions \(OpenAI chat completions\)/);
    assert.ok(r.stdout.includes(`  url       ${ANTHROPIC_BASE}/v1/messages`), r.stdout);
    assert.match(r.stdout, /translated {2}OpenAI chat completions → Anthropic Messages\n/);
    assert.match(r.stdout, /mapped {4}tool messages → tool_result blocks/);
    assert.match(r.stdout, /dropped {3}seed has no Anthropic equivalent: left out/);
    assert.doesNotMatch(r.stdout, /the gateway would answer/);

    const j = JSON.parse((await runCli(['route', 'gpt-5', '--from', 'anthropic', '--json'], env)).stdout);
    assert.equal(j.endpoint, '/v1/messages');
    assert.equal(j.deployment.url, `${OPENAI_BASE}/chat/completions`);
    assert.equal(j.translation.from, 'Anthropic Messages');
    assert.equal(j.translation.to, 'OpenAI chat completions');
    assert.ok(j.translation.mapped.some((m: string) => m.startsWith('count_tokens: a local estimate')));
    assert.equal(j.refusal, null);

    const refused = JSON.parse((await runCli(['route', 'claude-opus-4-8', '--from', 'responses', '--json', '--body', '-'], env, JSON.stringify({ input: 'x', previous_response_id: 'resp_1' }))).stdout);
    assert.match(refused.refusal, /^400: previous_response_id/);
    const bad = await runCli(['route', 'x', '--from', 'gemini'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--from gemini: expected one of anthropic, chat, responses/);
  });
});
