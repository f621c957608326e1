// LiteLLM's router in the daemon as users run it (`start --mitm --detach`), against a stand-in provider that fails on
// demand: retries, fallbacks to another group (in another format), cooldowns that `ccproxy status` shows, the error
// when a whole group is cooling down, fail-over of a stream only before its first byte, and a request's own
// disable_fallbacks. Each attempt is a forward row of its own, linked to the client's reverse row.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { runCli } from './helpers/cli.js';
import { stopAndCheck, startDetached, PORTS_ZERO_YAML } from './helpers/daemon.js';
import { OVERLOADED, PROMPT_TOO_LONG, RATE_LIMITED, startFlakyStandIn, textOf, type FlakyStandIn } from './helpers/flaky-standin.js';
import { tempConfigDir } from './helpers/pg.js';

describe('the daemon routes like LiteLLM\'s router: retries, fallbacks, cooldowns', () => {
  const cfg = tempConfigDir();
  let provider: FlakyStandIn;
  let env: Record<string, string>;
  let entry: string;

  before(async () => {
    provider = await startFlakyStandIn();
    const base = provider.url;
    const entryOf = (name: string, model: string, extra = '') => `  - model_name: ${name}\n    litellm_params:\n      model: ${model}\n      api_base: ${base}${model.startsWith('openai/') ? '/v1' : ''}\n      api_key: sk-test${extra}\n`;
    writeFileSync(
      join(cfg.dir, 'config.yaml'),
      'model_list:\n' +
        entryOf('retry-group', 'anthropic/retry-a') +
        entryOf('main', 'anthropic/main-a') +
        entryOf('backup', 'openai/backup-b') +
        entryOf('long', 'anthropic/long-c') +
        entryOf('pair', 'anthropic/pair-1') +
        entryOf('pair', 'anthropic/pair-2') +
        entryOf('streamy', 'anthropic/stream-a', '\n      order: 1') +
        entryOf('streamy', 'anthropic/stream-b', '\n      order: 2') +
        entryOf('slow', 'anthropic/slow-a', '\n      order: 1\n      timeout: 1') +
        entryOf('slow', 'anthropic/slow-b', '\n      order: 2') +
        entryOf('limited', 'anthropic/limited-a', '\n      rpm: 1') +
        entryOf('chatmain', 'openai/chat-a') +
        entryOf('chatbackup', 'anthropic/chat-b') +
        'router_settings:\n  num_retries: 1\n  allowed_fails: 1\n  cooldown_time: 60\n  fallbacks: [{"main": ["backup"]}, {"chatmain": ["chatbackup"]}]\n  context_window_fallbacks: [{"main": ["long"]}]\n' +
        'litellm_settings:\n  drop_params: true\n  set_verbose: false\n',
    );
    writeFileSync(join(cfg.dir, 'ccproxy.yaml'), PORTS_ZERO_YAML);
    env = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: provider.caPath };
    entry = await startDetached(env);
  });
  after(async () => {
    await stopAndCheck(env);
    await provider?.close();
    cfg.remove();
  });

  const sdk = (session: string) => new Anthropic({ baseURL: entry, apiKey: 'sk-ant-api03-client', maxRetries: 0, defaultHeaders: { 'x-claude-code-session-id': session } });
  const post = (body: Record<string, unknown>, session: string) =>
    fetch(`${entry}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-api03-client', 'anthropic-version': '2023-06-01', 'x-claude-code-session-id': session }, body: JSON.stringify({ max_tokens: 16, messages: [{ role: 'user', content: 'hi' }], ...body }) });

  /** The session's rows once `n` forward rows are linked: the reverse row, then the forward rows in time order. */
  async function rows(session: string, n: number) {
    const sql = `SELECT t.trace_id, t.proxy_direction, x.parent_trace_id, t.status_code, convert_from(t.request_body, 'UTF8') AS req, convert_from(t.response_body, 'UTF8') AS res
      FROM "CCProxy_HttpTraces" t LEFT JOIN "CCProxy_TraceTimings" x USING (trace_id)
      WHERE t.end_time IS NOT NULL AND t.session_id = '${session}' ORDER BY t.proxy_direction, t.start_time`;
    let got: { trace_id: string; proxy_direction: number; parent_trace_id: string | null; status_code: number | null; req: string | null; res: string | null }[] = [];
    for (let i = 0; i < 150; i++) {
      const r = await runCli(['db', 'sql', '--json', sql], env);
      assert.equal(r.code, 0, r.stderr);
      got = JSON.parse(r.stdout);
      if (got.filter((g) => g.proxy_direction === 0).length === 1 && got.filter((g) => g.proxy_direction === 1 && g.parent_trace_id !== null).length >= n) break;
      await sleep(100);
    }
    const reverse = got.filter((g) => g.proxy_direction === 0);
    const forward = got.filter((g) => g.proxy_direction === 1);
    assert.equal(reverse.length, 1, JSON.stringify(got));
    return { reverse: reverse[0]!, forward };
  }

  test('the LiteLLM keys ccproxy does not implement are named in one warning line of the log', async () => {
    const logs = await runCli(['logs', '-n', '200'], env);
    const lines = logs.stdout.split('\n').filter((l) => l.includes('does not implement'));
    assert.equal(lines.length, 1, logs.stdout);
    assert.match(lines[0]!, /config\.yaml: LiteLLM settings ccproxy does not implement, ignored: litellm_settings\.drop_params, litellm_settings\.set_verbose$/);
  });

  test('a retryable failure is retried in the group; each attempt is a forward row linked to the client\'s row', async () => {
    provider.script('retry-a', OVERLOADED);
    const m = await sdk('router-retry').messages.create({ model: 'retry-group', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal((m.content[0] as Anthropic.TextBlock).text, textOf('retry-a'));
    assert.equal(provider.calls('retry-a').length, 2);
    const { reverse, forward } = await rows('router-retry', 2);
    assert.deepEqual(forward.map((f) => f.status_code), [529, 200]);
    for (const f of forward) assert.equal(f.parent_trace_id, reverse.trace_id);
    assert.equal(reverse.status_code, 200);
    assert.match(reverse.res!, /Hello from retry-a/);
  });

  test('when the group fails after its retries, the request falls back to another group — here one in OpenAI\'s format', async () => {
    provider.script('main-a', RATE_LIMITED, RATE_LIMITED);
    const m = await sdk('router-fallback').messages.create({ model: 'main', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal((m.content[0] as Anthropic.TextBlock).text, textOf('backup-b'));
    const { reverse, forward } = await rows('router-fallback', 3);
    assert.deepEqual(forward.map((f) => f.status_code), [429, 429, 200]);
    assert.ok(forward.every((f) => f.parent_trace_id === reverse.trace_id));
    assert.match(forward[2]!.res!, /chat\.completion/);
    assert.equal(reverse.status_code, 200);
  });

  test('an OpenAI chat client whose group fails falls back to a group in Anthropic\'s format, translated both ways', async () => {
    provider.script('chat-a', RATE_LIMITED, RATE_LIMITED);
    const openai = new OpenAI({ baseURL: `${entry}/v1`, apiKey: 'sk-client', maxRetries: 0, defaultHeaders: { 'x-claude-code-session-id': 'router-chat-fallback' } });
    const c = await openai.chat.completions.create({ model: 'chatmain', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(c.choices[0]!.message.content, textOf('chat-b'));
    const { reverse, forward } = await rows('router-chat-fallback', 3);
    assert.deepEqual(forward.map((f) => f.status_code), [429, 429, 200]);
    assert.ok(forward.every((f) => f.parent_trace_id === reverse.trace_id));
    assert.match(forward[2]!.req!, /"messages"/);
    assert.match(forward[2]!.res!, /"type":\s*"message"/, 'the Anthropic deployment answered in its own format');
    assert.match(reverse.res!, /chat\.completion/, 'the client got a chat completion');
  });

  test('a context-window error goes to context_window_fallbacks at once, without a retry', async () => {
    const before = provider.calls('main-a').length;
    provider.script('main-a', PROMPT_TOO_LONG);
    const m = await sdk('router-context').messages.create({ model: 'main', max_tokens: 16, messages: [{ role: 'user', content: 'a long prompt' }] });
    assert.equal((m.content[0] as Anthropic.TextBlock).text, textOf('long-c'));
    assert.equal(provider.calls('main-a').length, before + 1);
  });

  test('disable_fallbacks in the body: the client gets the group\'s own error; the keys never reach the provider', async () => {
    const backupBefore = provider.calls('backup-b').length;
    provider.script('main-a', RATE_LIMITED, RATE_LIMITED);
    const res = await post({ model: 'main', disable_fallbacks: true }, 'router-nofallback');
    assert.equal(res.status, 429);
    assert.equal(((await res.json()) as { error: { type: string } }).error.type, 'rate_limit_error');
    assert.equal(provider.calls('backup-b').length, backupBefore);
    for (const c of provider.calls('main-a')) assert.doesNotMatch(c.body.toString(), /disable_fallbacks|"fallbacks"/);
  });

  test('a request\'s own fallbacks replace the configured ones', async () => {
    provider.script('retry-a', OVERLOADED, OVERLOADED);
    const res = await post({ model: 'retry-group', fallbacks: ['long'] }, 'router-request-fallbacks');
    assert.equal(res.status, 200);
    assert.match(await res.text(), /Hello from long-c/);
  });

  test('a stream whose connection drops before its first byte fails over to the next deployment (by order)', async () => {
    provider.script('stream-a', 'drop-before-first-byte');
    const m = await sdk('router-stream-before').messages.stream({ model: 'streamy', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    assert.equal((m.content[0] as Anthropic.TextBlock).text, textOf('stream-b'));
    const { reverse, forward } = await rows('router-stream-before', 2);
    assert.equal(forward.length, 2);
    assert.ok(forward.every((f) => f.parent_trace_id === reverse.trace_id));
    assert.match(reverse.res!, /Hello from stream-b/);
  });

  test('a stream that breaks after its first byte is not failed over: the client sees it break', async () => {
    const bCalls = provider.calls('stream-b').length;
    provider.script('stream-a', 'drop-after-first-byte');
    const res = await post({ model: 'streamy', stream: true }, 'router-stream-after');
    assert.equal(res.status, 200);
    let text = '';
    await assert.rejects(async () => {
      for await (const c of res.body!) text += Buffer.from(c).toString();
    });
    assert.match(text, /message_start/);
    assert.doesNotMatch(text, /message_stop/);
    assert.equal(provider.calls('stream-b').length, bCalls);
  });

  test('a stream whose first event is an overloaded error fails over like an error status', async () => {
    provider.script('stream-a', 'overloaded-event');
    const m = await sdk('router-stream-error-event').messages.stream({ model: 'streamy', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    assert.equal((m.content[0] as Anthropic.TextBlock).text, textOf('stream-b'));
  });

  test('an attempt past its timeout is cut and the request goes to the next deployment', async () => {
    provider.script('slow-a', 'hang');
    const m = await sdk('router-timeout').messages.create({ model: 'slow', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal((m.content[0] as Anthropic.TextBlock).text, textOf('slow-b'));
    assert.equal(provider.calls('slow-a').length, 1);
  });

  test('a deployment at its rpm limit takes no more requests that minute: the client is told until when', async () => {
    assert.equal((await post({ model: 'limited' }, 'router-rpm-1')).status, 200);
    const res = await post({ model: 'limited' }, 'router-rpm-2');
    assert.equal(res.status, 429);
    const e = (await res.json()) as { error: { message: string } };
    assert.match(e.error.message, /"limited" \(anthropic\/limited-a, \S*config\.yaml:\d+\) has reached its rpm limit \(1 a minute\) until \S+Z/);
    assert.equal(provider.calls('limited-a').length, 1);
  });

  test('past allowed_fails a deployment cools down; status shows it; a group all cooling down gets an error naming each and when it is back', async () => {
    provider.script('pair-1', OVERLOADED, OVERLOADED, OVERLOADED);
    provider.script('pair-2', OVERLOADED, OVERLOADED, OVERLOADED);
    // Each request tries both (num_retries: 1): two failures each, one more than allowed_fails.
    for (const s of ['router-pair-1', 'router-pair-2']) {
      const res = await post({ model: 'pair' }, s);
      assert.equal(res.status, 529, await res.text());
    }
    const st = await runCli(['status', '--json'], env);
    // (stream-a, failed twice by the stream tests above, is cooling down too.)
    const cooldowns = (JSON.parse(st.stdout) as { cooldowns: { model_name: string; model: string; until: string; reason: string }[] }).cooldowns.filter((c) => c.model_name === 'pair');
    assert.deepEqual(cooldowns.map((c) => c.model).sort(), ['anthropic/pair-1', 'anthropic/pair-2']);
    for (const c of cooldowns) {
      assert.equal(c.model_name, 'pair');
      assert.ok(Date.parse(c.until) > Date.now() + 30_000, c.until);
      assert.match(c.reason, /2 failures within a minute \(last: overloaded, HTTP 529: Overloaded\)/);
    }
    const text = await runCli(['status'], env);
    assert.match(text.stdout, /cooling down +"pair" \(anthropic\/pair-1, \S*config\.yaml:\d+\) until \S+ \(in \d+s\)/);

    const calls = provider.calls('pair-1').length + provider.calls('pair-2').length;
    const res = await post({ model: 'pair' }, 'router-pair-cooling');
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) > 30, res.headers.get('retry-after')!);
    const e = (await res.json()) as { type: string; error: { type: string; message: string; deployments: { model: string; until: string }[] } };
    assert.equal(e.type, 'error');
    assert.equal(e.error.type, 'rate_limit_error');
    assert.match(e.error.message, /no deployment of "pair" can take the request now: "pair" \(anthropic\/pair-\d, \S*config\.yaml:\d+\) is cooling down until \S+Z \(in \d+s\) after 2 failures within a minute/);
    assert.match(e.error.message, /anthropic\/pair-1/);
    assert.match(e.error.message, /anthropic\/pair-2/);
    assert.deepEqual(e.error.deployments.map((d) => d.model).sort(), ['anthropic/pair-1', 'anthropic/pair-2']);
    assert.equal(provider.calls('pair-1').length + provider.calls('pair-2').length, calls, 'nothing was sent');

    // An OpenAI client gets the same in OpenAI's error shape, which its SDK reads.
    const openai = new OpenAI({ baseURL: `${entry}/v1`, apiKey: 'sk-client', maxRetries: 0 });
    await assert.rejects(openai.chat.completions.create({ model: 'pair', messages: [{ role: 'user', content: 'hi' }] }), (err: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(err.status, 429);
      assert.equal(err.code, 'no_deployment_available');
      assert.match(err.message, /no deployment of "pair" can take the request now/);
      return true;
    });
  });
});
