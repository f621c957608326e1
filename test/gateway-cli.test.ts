// `ccproxy start` as a user runs it: the gateway on the configured port, refusing invalid files with file, line
// and field, and naming the port and its source when the port is taken.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { runCli, startCli } from './helpers/cli.js';
import { tempConfigDir } from './helpers/pg.js';
import { StandIn } from './helpers/standin.js';

function configDir(files: Record<string, string>) {
  const cfg = tempConfigDir();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cfg.dir, name), text);
  return cfg;
}

test('ccproxy start: serves on the port given, routes by the rules, stops on Ctrl-C', async () => {
  const provider = await new StandIn().start();
  const cfg = configDir({
    'config.yaml': `model_list:\n  - model_name: default\n    litellm_params:\n      model: claude-routed\n  - model_name: claude-routed\n    litellm_params:\n      model: anthropic/claude-routed-upstream\n      api_base: ${provider.url}\n`,
    'ccproxy.yaml': 'ccproxy:\n  default_model_passthrough: false\n  rules: []\n',
  });
  const child = startCli(['start', '--port', '0'], { CCPROXY_CONFIG_DIR: cfg.dir });
  try {
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const url = /listening on (http:\/\/\S+)/.exec(line)?.[1];
    assert.ok(url, line);
    const client = new Anthropic({ baseURL: url, apiKey: 'sk-ant-api03-k', maxRetries: 0 });
    await client.messages.create({ model: 'anything-at-all', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(JSON.parse(provider.seen.at(-1)!.body.toString()).model, 'claude-routed-upstream', 'no rule matched: the default alias');
  } finally {
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    await provider.close();
    cfg.remove();
  }
});

test('ccproxy start refuses an invalid config.yaml, naming file, line and field', async () => {
  const cfg = configDir({ 'config.yaml': 'model_list:\n  - model_name: a\n    litellm_params:\n      model: anthropic/a\n      api_base: 12\n' });
  const r = await runCli(['start', '--port', '0'], { CCPROXY_CONFIG_DIR: cfg.dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${join(cfg.dir, 'config.yaml')}:5: model_list\\[0\\]\\.litellm_params\\.api_base: `));
  assert.match(r.stderr, /not started/);
  cfg.remove();
});

test('ccproxy start refuses rules whose label has no model, and unknown built-ins, with their lines', async () => {
  const cfg = configDir({
    'config.yaml': 'model_list:\n  - model_name: default\n    litellm_params:\n      model: anthropic/claude-x\n',
    'ccproxy.yaml': 'ccproxy:\n  rules:\n    - name: think\n      rule: ccproxy.rules.ThinkingRule\n    - name: default\n      rule: ccproxy.rules.NoSuchRule\n    - name: default\n      rule: ccproxy.rules.TokenCountRule\n      params:\n        - threshold: many\n',
  });
  const r = await runCli(['start', '--port', '0'], { CCPROXY_CONFIG_DIR: cfg.dir });
  assert.equal(r.code, 1);
  const file = join(cfg.dir, 'ccproxy.yaml');
  assert.ok(r.stderr.includes(`${file}:3: ccproxy.rules[0].name: "think" labels requests, but`), r.stderr);
  assert.ok(r.stderr.includes(`${file}:6: ccproxy.rules[1].rule: unknown built-in rule ccproxy.rules.NoSuchRule`), r.stderr);
  assert.ok(r.stderr.includes(`${file}:8: ccproxy.rules[2].rule: TokenCountRule needs params: [{threshold: a whole number of tokens}], got "many"`), r.stderr);
  cfg.remove();
});

test('ccproxy start without config.yaml says what is missing', async () => {
  const cfg = configDir({});
  const r = await runCli(['start'], { CCPROXY_CONFIG_DIR: cfg.dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /config\.yaml not found: the gateway needs its model_list/);
  cfg.remove();
});

test('a port in use is named with where the setting came from (the original litellm.port counts)', async () => {
  const busy = net.createServer().listen(0, '127.0.0.1');
  await once(busy, 'listening');
  const port = (busy.address() as net.AddressInfo).port;
  const cfg = configDir({ 'config.yaml': 'model_list: []\n', 'ccproxy.yaml': `litellm:\n  host: 127.0.0.1\n  port: ${port}\n  num_workers: 4\n` });
  const r = await runCli(['start'], { CCPROXY_CONFIG_DIR: cfg.dir });
  busy.close();
  assert.equal(r.code, 1);
  assert.ok(r.stderr.includes(`ccproxy: port ${port} on 127.0.0.1 is in use (from ${join(cfg.dir, 'ccproxy.yaml')} (litellm.port))`), r.stderr);
  cfg.remove();
});
