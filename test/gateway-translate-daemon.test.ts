// A translated route in the daemon as users run it (`start --mitm --detach`): the Anthropic SDK streams through
// the main entry (reverse capture → gateway → forward capture) to an HTTPS OpenAI chat-completions stand-in; the
// reverse row holds the exchange in Anthropic's format, the forward row in OpenAI's.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { loadOrCreateCA } from '../src/proxy/tls/ca.js';
import { runCli } from './helpers/cli.js';
import { PROVIDER_HOST, stopAndCheck, startDetached, PORTS_ZERO_YAML } from './helpers/daemon.js';
import { tempConfigDir } from './helpers/pg.js';
import { ChatStandIn } from './helpers/translate-standins.js';

describe('the daemon: an Anthropic request translated to OpenAI chat, recorded at both ends in their own formats', () => {
  const caDir = tempConfigDir();
  const cfg = tempConfigDir();
  let chat: ChatStandIn;
  let env: Record<string, string>;
  let entry: string;

  before(async () => {
    const ca = await loadOrCreateCA(caDir.dir);
    chat = await new ChatStandIn(await ca.pemFor(PROVIDER_HOST)).start(PROVIDER_HOST);
    writeFileSync(join(cfg.dir, 'config.yaml'), `model_list:\n  - model_name: local\n    litellm_params:\n      model: hosted_vllm/qwen3-coder\n      api_base: ${chat.url}/v1\n      api_key: sk-local\n`);
    writeFileSync(join(cfg.dir, 'ccproxy.yaml'), PORTS_ZERO_YAML);
    env = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: ca.certPath };
    entry = await startDetached(env);
  });
  after(async () => {
    await stopAndCheck(env);
    await chat?.close();
    cfg.remove();
    caDir.remove();
  });

  test('reverse row: Anthropic Messages and its SSE events; forward row: chat completions and its chunks', async () => {
    const sdk = new Anthropic({ baseURL: entry, apiKey: 'sk-ant-api03-client', maxRetries: 0, defaultHeaders: { 'x-claude-code-session-id': 'translate-rows' } });
    const m = await sdk.messages.stream({ model: 'local', max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] }).finalMessage();
    assert.equal((m.content[0] as Anthropic.TextBlock).text, 'Hello from the chat stand-in');
    const sql = `SELECT proxy_direction, url, convert_from(request_body, 'UTF8') AS req, convert_from(response_body, 'UTF8') AS res FROM "CCProxy_HttpTraces" WHERE end_time IS NOT NULL AND session_id = 'translate-rows' ORDER BY proxy_direction`;
    let got: { proxy_direction: number; url: string; req: string; res: string }[] = [];
    for (let i = 0; i < 100 && got.length < 2; i++) {
      const r = await runCli(['db', 'sql', '--json', sql], env);
      assert.equal(r.code, 0, r.stderr);
      got = JSON.parse(r.stdout);
      if (got.length < 2) await sleep(100);
    }
    const [reverse, forward] = got;
    assert.equal(reverse?.proxy_direction, 0);
    assert.match(reverse!.url, /\/v1\/messages$/);
    assert.equal(JSON.parse(reverse!.req).model, 'local');
    assert.match(reverse!.res, /event: message_start/);
    assert.equal(forward?.proxy_direction, 1);
    assert.match(forward!.url, /\/v1\/chat\/completions$/);
    assert.deepEqual(JSON.parse(forward!.req).messages, [{ role: 'user', content: 'hello' }]);
    assert.match(forward!.res, /"object":"chat.completion.chunk"/);
    assert.doesNotMatch(forward!.res, /message_start/);
  });
});
