// The gateway end to end: the official Anthropic and OpenAI SDKs (streaming and not) through the gateway to
// stand-in providers over HTTPS; each built-in rule routing to its alias; os.environ/ keys; OAuth Bearer
// handling; unknown models, provider errors, malformed JSON and unreachable providers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { request } from 'undici';
import { httpsStandIn, providerCA, startTestGateway, type TestGateway } from './helpers/gateway.js';
import type { StandIn } from './helpers/standin.js';

const RULES = `ccproxy:
  rules:
    - name: token_count
      rule: ccproxy.rules.TokenCountRule
      params:
        - threshold: 2000
    - name: web_search
      rule: ccproxy.rules.MatchToolRule
      params:
        - tool_name: WebSearch
    - name: background
      rule: ccproxy.rules.MatchModelRule
      params:
        - model_name: haiku
    - name: think
      rule: ccproxy.rules.ThinkingRule
`;

function models(base: string, closedPort: number): string {
  const anthropic = (name: string, model: string, extra = '') => `  - model_name: ${name}\n    litellm_params:\n      model: anthropic/${model}\n      api_base: ${base}\n${extra}`;
  return [
    'model_list:',
    // The original's alias form: default names another entry.
    '  - model_name: default\n    litellm_params:\n      model: claude-sonnet-4-5',
    anthropic('claude-sonnet-4-5', 'claude-sonnet-4-5-20250929'),
    anthropic('background', 'claude-haiku-routed'),
    anthropic('think', 'claude-opus-think'),
    anthropic('token_count', 'claude-long-context'),
    anthropic('web_search', 'claude-web'),
    anthropic('keyed', 'claude-keyed', '      api_key: os.environ/TEST_ANTHROPIC_KEY\n'),
    anthropic('status-529', 'status-529'),
    anthropic('with-headers', 'claude-h', '      extra_headers:\n        X-Team: blue\n'),
    `  - model_name: gpt-4o\n    litellm_params:\n      model: openai/gpt-4o-2024-08-06\n      api_base: ${base}/v1\n      api_key: os.environ/TEST_OPENAI_KEY`,
    `  - model_name: gpt-mine\n    litellm_params:\n      model: openai/gpt-mine-upstream\n      api_base: ${base}/v1`,
    `  - model_name: broken\n    litellm_params:\n      model: anthropic/claude-broken\n      api_base: https://127.0.0.1:${closedPort}`,
  ].join('\n');
}

async function closedPort(): Promise<number> {
  const net = await import('node:net');
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as import('node:net').AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function post(url: string, body: string | object, headers: Record<string, string> = {}) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: (() => { try { return JSON.parse(text); } catch { return undefined; } })() };
}

describe('gateway: SDKs through the gateway to HTTPS stand-in providers', () => {
  let ca: Awaited<ReturnType<typeof providerCA>>;
  let provider: StandIn;
  let gw: TestGateway;
  let anthropic: Anthropic;
  let openai: OpenAI;
  before(async () => {
    ca = await providerCA();
    provider = await httpsStandIn(ca);
    gw = await startTestGateway({ configYaml: models(provider.url, await closedPort()), ccproxyYaml: RULES }, { NODE_EXTRA_CA_CERTS: ca.certPath, TEST_ANTHROPIC_KEY: 'sk-ant-from-env', TEST_OPENAI_KEY: 'sk-openai-from-env' });
    anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'sk-ant-api03-client-key', maxRetries: 0 });
    openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-openai-client-key', maxRetries: 0 });
  });
  after(async () => {
    await gw?.stop();
    await provider?.close();
    ca?.remove();
  });

  test('Anthropic SDK: the model is rewritten, the client key and other headers are forwarded, the answer comes back', async () => {
    const msg = await anthropic.messages.create(
      { model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-claude-code-session-id': 'sess-gw-1', 'x-custom': 'kept' } },
    );
    assert.equal((msg.content[0] as { text: string }).text, 'Hello from the stand-in');
    const seen = provider.seen.at(-1)!;
    assert.equal(seen.url, '/v1/messages');
    assert.equal(JSON.parse(seen.body.toString()).model, 'claude-sonnet-4-5-20250929', 'provider prefix removed');
    // This SDK sends its key as Bearer (older ones as x-api-key): either way it arrives as sent, and a key is no OAuth token.
    assert.ok(seen.headers.authorization === 'Bearer sk-ant-api03-client-key' || seen.headers['x-api-key'] === 'sk-ant-api03-client-key', JSON.stringify(seen.headers));
    assert.doesNotMatch(String(seen.headers['anthropic-beta'] ?? ''), /oauth/);
    assert.equal(seen.headers['x-claude-code-session-id'], 'sess-gw-1');
    assert.equal(seen.headers['x-custom'], 'kept');
    assert.equal(seen.headers.host, `127.0.0.1:${provider.port}`);
    assert.ok(seen.headers['anthropic-version']);
  });

  test('Anthropic SDK streaming: the client has event 1 before the provider sends event 2', async () => {
    const release = provider.armGate();
    const stream = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.value.type, 'message_start');
    assert.equal(provider.eventsSent, 1, 'the provider is still holding event 2');
    release();
    let text = '';
    for (let r = await it.next(); !r.done; r = await it.next()) if (r.value.type === 'content_block_delta' && r.value.delta.type === 'text_delta') text += r.value.delta.text;
    assert.equal(text, 'Hello world');
  });

  test('OpenAI SDK: chat completion to an OpenAI-format deployment with its os.environ/ key', async () => {
    const c = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(c.choices[0]!.message.content, 'Hello from the OpenAI stand-in');
    const seen = provider.seen.at(-1)!;
    assert.equal(seen.url, '/v1/chat/completions');
    assert.equal(JSON.parse(seen.body.toString()).model, 'gpt-4o-2024-08-06');
    assert.equal(seen.headers.authorization, 'Bearer sk-openai-from-env', 'the deployment key, not the client one');
  });

  test('OpenAI SDK streaming: the client has chunk 1 before the provider sends chunk 2; the client key goes through', async () => {
    const release = provider.armGate();
    const stream = await openai.chat.completions.create({ model: 'gpt-mine', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.value.choices[0].delta.role, 'assistant');
    assert.equal(provider.eventsSent, 1, 'the provider is still holding chunk 2');
    release();
    let text = '';
    for (let r = await it.next(); !r.done; r = await it.next()) text += r.value.choices[0]?.delta.content ?? '';
    assert.equal(text, 'Hello world');
    const seen = provider.seen.at(-1)!;
    assert.equal(seen.headers.authorization, 'Bearer sk-openai-client-key');
    assert.equal(JSON.parse(seen.body.toString()).model, 'gpt-mine-upstream');
  });

  const routed = () => JSON.parse(provider.seen.at(-1)!.body.toString()).model as string;
  const ask = (body: Partial<Anthropic.MessageCreateParamsNonStreaming>) => anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], ...body } as Anthropic.MessageCreateParamsNonStreaming);

  test('MatchModelRule: a haiku request goes to the background alias', async () => {
    await ask({ model: 'claude-3-5-haiku-20241022' });
    assert.equal(routed(), 'claude-haiku-routed');
  });

  test('ThinkingRule: a request with thinking enabled goes to think; thinking disabled does not', async () => {
    await ask({ max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 } });
    assert.equal(routed(), 'claude-opus-think');
    await ask({ thinking: { type: 'disabled' } });
    assert.equal(routed(), 'claude-sonnet-4-5-20250929');
  });

  test('MatchToolRule: a request offering the WebSearch tool goes to web_search', async () => {
    await ask({ tools: [{ name: 'WebSearch', description: 'search', input_schema: { type: 'object', properties: {} } }] });
    assert.equal(routed(), 'claude-web');
  });

  test('TokenCountRule: a request over the threshold goes to token_count (first rule wins over thinking)', async () => {
    await ask({ max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'word '.repeat(2500) }] });
    assert.equal(routed(), 'claude-long-context');
  });

  test('no rule matched: the default alias is not needed, the requested model routes itself (default_model_passthrough)', async () => {
    await ask({});
    assert.equal(routed(), 'claude-sonnet-4-5-20250929');
  });

  test('os.environ/ api_key: the deployment key replaces the client one', async () => {
    await ask({ model: 'keyed' });
    const seen = provider.seen.at(-1)!;
    assert.equal(seen.headers['x-api-key'], 'sk-ant-from-env');
    assert.equal(seen.headers.authorization, undefined, 'the client key is not sent beside it');
  });

  test('extra_headers of the deployment are sent', async () => {
    await ask({ model: 'with-headers' });
    assert.equal(provider.seen.at(-1)!.headers['x-team'], 'blue');
  });

  test('OAuth Bearer to Anthropic: Authorization goes through, x-api-key is dropped, anthropic-beta gains oauth-2025-04-20', async () => {
    const oauth = new Anthropic({ baseURL: gw.url, apiKey: null, authToken: 'sk-ant-oat01-subscription', maxRetries: 0, defaultHeaders: { 'anthropic-beta': 'claude-code-20250219' } });
    await oauth.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    let seen = provider.seen.at(-1)!;
    assert.equal(seen.headers.authorization, 'Bearer sk-ant-oat01-subscription');
    assert.equal(seen.headers['x-api-key'], undefined);
    assert.deepEqual(String(seen.headers['anthropic-beta']).split(','), ['claude-code-20250219', 'oauth-2025-04-20']);
    // Both credentials sent: the Bearer token wins and x-api-key does not reach the provider.
    const r = await post(`${gw.url}/v1/messages?beta=true`, { model: 'claude-sonnet-4-5', max_tokens: 5, messages: [] }, { authorization: 'Bearer sk-ant-oat01-x', 'x-api-key': 'sk-ant-stray' });
    assert.equal(r.status, 200);
    seen = provider.seen.at(-1)!;
    assert.equal(seen.url, '/v1/messages?beta=true', 'the query goes along');
    assert.equal(seen.headers['x-api-key'], undefined);
    assert.equal(seen.headers['anthropic-beta'], 'oauth-2025-04-20');
  });

  test('count_tokens goes to the deployment’s /v1/messages/count_tokens', async () => {
    const r = await anthropic.messages.countTokens({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.input_tokens, 42);
    assert.equal(provider.seen.at(-1)!.url, '/v1/messages/count_tokens');
  });

  test('an unknown model: 404 naming the model and the configured names, nothing sent', async () => {
    const before = provider.seen.length;
    await assert.rejects(
      () => ask({ model: 'claude-nonexistent-9' }),
      (err: InstanceType<typeof Anthropic.NotFoundError>) => {
        assert.equal(err.status, 404);
        const message = (err.error as { error: { message: string } }).error.message;
        assert.match(message, /model "claude-nonexistent-9" has no route/);
        assert.match(message, /configured model names: default, claude-sonnet-4-5, background/);
        return true;
      },
    );
    assert.equal(provider.seen.length, before);
  });

  test('provider errors reach the client unchanged (status and body)', async () => {
    const r = await post(`${gw.url}/v1/messages`, { model: 'status-529', max_tokens: 5, messages: [] }, { 'x-api-key': 'k' });
    assert.equal(r.status, 529);
    assert.deepEqual(r.json, { type: 'error', error: { type: 'overloaded_error', message: 'stand-in error 529' } });
    await assert.rejects(() => ask({ model: 'status-529' }), (err: InstanceType<typeof Anthropic.APIError>) => err.status === 529 && /stand-in error 529/.test(err.message));
  });

  test('malformed JSON: 400 saying so; a body without a model: 400 saying so', async () => {
    const r = await post(`${gw.url}/v1/messages`, '{"model": "claude-sonnet-4-5", ', { 'x-api-key': 'k' });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.type, 'invalid_request_error');
    assert.match(r.json.error.message, /^request body is not valid JSON: /);
    const noModel = await post(`${gw.url}/v1/chat/completions`, { messages: [] });
    assert.equal(noModel.status, 400);
    assert.match(noModel.json.error.message, /model: expected the model name/);
  });

  test('an unreachable provider: 502 with a JSON error naming the deployment', async () => {
    const r = await post(`${gw.url}/v1/messages`, { model: 'broken', max_tokens: 5, messages: [] }, { 'x-api-key': 'k' });
    assert.equal(r.status, 502);
    assert.equal(r.json.error.type, 'proxy_error');
    assert.equal(r.json.error.error_type, 'connect_failed');
    assert.equal(r.json.error.deployment, 'broken');
    assert.match(r.json.error.message, /could not reach deployment "broken"/);
  });

  test('an OpenAI chat request routed to an Anthropic deployment is translated: Messages out, a chat completion back', async () => {
    const r = await post(`${gw.url}/v1/chat/completions`, { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.status, 200);
    assert.equal(r.json.object, 'chat.completion');
    assert.equal(provider.seen.at(-1)!.url, '/v1/messages');
  });

  test('the session id from metadata.user_id reaches the provider as x-claude-code-session-id', async () => {
    await ask({ metadata: { user_id: JSON.stringify({ device_id: 'd', account_uuid: 'a', session_id: 'sess-from-body' }) } });
    assert.equal(provider.seen.at(-1)!.headers['x-claude-code-session-id'], 'sess-from-body');
  });

  test('a client that goes away mid-stream: the provider request is aborted too', async () => {
    const release = provider.armGate();
    const res = await request(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, stream: true, messages: [] }) });
    await provider.firstEventSent;
    for await (const _chunk of res.body) break; // the first event arrived; now leave
    const seen = provider.seen.at(-1)!;
    for (let i = 0; i < 200 && !seen.aborted; i++) await new Promise((r) => setTimeout(r, 10));
    release();
    assert.equal(seen.aborted, true);
  });

  test('a gzip-compressed request body is decoded, rewritten and sent plain', async () => {
    const { gzipSync } = await import('node:zlib');
    const res = await request(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-api-key': 'k' }, body: gzipSync(JSON.stringify({ model: 'claude-3-5-haiku', max_tokens: 5, messages: [] })) });
    assert.equal(res.statusCode, 200);
    await res.body.dump();
    const seen = provider.seen.at(-1)!;
    assert.equal(seen.headers['content-encoding'], undefined);
    assert.equal(JSON.parse(seen.body.toString()).model, 'claude-haiku-routed');
  });

  test('GET /v1/models lists the configured names for both SDKs; /health, HEAD / and GET / answer 200', async () => {
    const a = [];
    for await (const m of anthropic.models.list()) a.push(m.id);
    assert.deepEqual(a.slice(0, 3), ['default', 'claude-sonnet-4-5', 'background']);
    const o = [];
    for await (const m of openai.models.list()) o.push(m.id);
    assert.deepEqual(o, a);
    assert.equal((await request(`${gw.url}/health`)).statusCode, 200);
    const head = await request(`${gw.url}/`, { method: 'HEAD' });
    assert.equal(head.statusCode, 200);
    await head.body.dump();
    const root = await request(`${gw.url}/`);
    assert.equal(root.statusCode, 200);
    await root.body.dump();
    // (/v1/* paths the gateway does not serve pass through to the first OpenAI deployment.)
    const missing = await request(`${gw.url}/nothing`);
    assert.equal(missing.statusCode, 404);
    await missing.body.dump();
  });
});

describe('gateway: oat_sources', () => {
  let ca: Awaited<ReturnType<typeof providerCA>>;
  let provider: StandIn;
  let gw: TestGateway;
  let tokenFile: string;
  let countFile: string;
  before(async () => {
    ca = await providerCA();
    provider = await httpsStandIn(ca);
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/ccproxy-oat-`);
    tokenFile = `${dir}/token`;
    countFile = `${dir}/count`;
    writeFileSync(tokenFile, 'token-one\n');
    const yaml = `ccproxy:\n  oat_sources:\n    anthropic:\n      command: "echo x >> ${countFile}; cat ${tokenFile}"\n      user_agent: ccproxy-test/1.0\n`;
    gw = await startTestGateway({ configYaml: `model_list:\n  - model_name: claude-x\n    litellm_params:\n      model: anthropic/claude-x\n      api_base: ${provider.url}\n`, ccproxyYaml: yaml }, { NODE_EXTRA_CA_CERTS: ca.certPath });
  });
  after(async () => {
    await gw?.stop();
    await provider?.close();
    ca?.remove();
  });

  test('a request without credentials gets the command’s token (cached); a 401 makes the gateway read it again and retry', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const runs = () => readFileSync(countFile, 'utf8').trim().split('\n').length;
    let valid = 'token-one';
    provider.requireAuth = (h) => h.authorization === `Bearer ${valid}`;
    for (let i = 0; i < 2; i++) {
      const r = await post(`${gw.url}/v1/messages`, { model: 'claude-x', max_tokens: 5, messages: [] });
      assert.equal(r.status, 200);
    }
    assert.equal(runs(), 1, 'the token is cached');
    const seen = provider.seen.at(-1)!;
    assert.equal(seen.headers['user-agent'], 'ccproxy-test/1.0');
    assert.match(String(seen.headers['anthropic-beta']), /oauth-2025-04-20/);
    // The token rotates: the provider refuses the cached one.
    valid = 'token-two';
    writeFileSync(tokenFile, 'token-two\n');
    const r = await post(`${gw.url}/v1/messages`, { model: 'claude-x', max_tokens: 5, messages: [] });
    assert.equal(r.status, 200, 'retried with the fresh token');
    assert.equal(runs(), 2);
    assert.equal(provider.seen.at(-1)!.headers.authorization, 'Bearer token-two');
    // A token nobody accepts: the provider's 401 comes back as it was.
    valid = 'something-else';
    const refused = await post(`${gw.url}/v1/messages`, { model: 'claude-x', max_tokens: 5, messages: [] });
    assert.equal(refused.status, 401);
    assert.equal(refused.json.error.type, 'authentication_error');
  });
});

describe('gateway: custom rules and hooks from module paths in the config directory', () => {
  let ca: Awaited<ReturnType<typeof providerCA>>;
  let provider: StandIn;
  let gw: TestGateway;
  before(async () => {
    ca = await providerCA();
    provider = await httpsStandIn(ca);
    const deployment = (name: string, model: string) => `  - model_name: ${name}\n    litellm_params:\n      model: anthropic/${model}\n      api_base: ${provider.url}\n`;
    const yaml = [
      'ccproxy:',
      '  rules:',
      '    - name: quiet',
      '      rule: ./rules/quiet.js:Quiet',
      '      params: { word: shh }',
      '  hooks:',
      '    - ccproxy.hooks.rule_evaluator',
      '    - ccproxy.hooks.model_router',
      '    - ccproxy.hooks.forward_apikey',
      '    - hook: ./hooks/tag.js',
      '      params: { team: blue }',
      '',
    ].join('\n');
    gw = await startTestGateway(
      {
        configYaml: `model_list:\n${deployment('claude-x', 'claude-x-upstream')}${deployment('quiet', 'claude-quiet-upstream')}`,
        ccproxyYaml: yaml,
        other: {
          'rules/quiet.js': `export class Quiet {\n  constructor(params) { this.word = params.word; }\n  evaluate(request) { return JSON.stringify(request.messages).includes(this.word); }\n}\n`,
          'hooks/tag.js': `export default function tag(ctx, params) {\n  ctx.headers['x-team'] = params.team;\n  ctx.headers['x-label'] = String(ctx.label);\n  if (ctx.body.metadata?.fail) throw new Error('the tag hook refused this request');\n}\n`,
        },
      },
      { NODE_EXTRA_CA_CERTS: ca.certPath },
    );
  });
  after(async () => {
    await gw?.stop();
    await provider?.close();
    ca?.remove();
  });

  test('a custom rule labels the request and a custom hook changes what the provider gets', async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'sk-ant-api03-k', maxRetries: 0 });
    await client.messages.create({ model: 'claude-x', max_tokens: 5, messages: [{ role: 'user', content: 'shh, quietly' }] });
    let seen = provider.seen.at(-1)!;
    assert.equal(JSON.parse(seen.body.toString()).model, 'claude-quiet-upstream', 'the custom rule routed it to its label');
    assert.equal(seen.headers['x-team'], 'blue');
    assert.equal(seen.headers['x-label'], 'quiet');
    await client.messages.create({ model: 'claude-x', max_tokens: 5, messages: [{ role: 'user', content: 'out loud' }] });
    seen = provider.seen.at(-1)!;
    assert.equal(JSON.parse(seen.body.toString()).model, 'claude-x-upstream');
    assert.equal(seen.headers['x-label'], 'default');
    // A hook that throws fails the request with its message, and nothing is sent.
    const before = provider.seen.length;
    const r = await post(`${gw.url}/v1/messages`, { model: 'claude-x', max_tokens: 5, messages: [], metadata: { fail: true } }, { 'x-api-key': 'sk-ant-api03-k' });
    assert.equal(r.status, 500);
    assert.match(r.json.error.message, /the tag hook refused this request/);
    assert.equal(provider.seen.length, before);
  });
});
