// Outbound calls honour HTTPS_PROXY: the gateway reaches the provider through `ccproxy mitm start --mode forward`,
// trusting the ccproxy CA from cert_dir, and the forward capture writes the row (with the rewritten model and
// the client's session id). NO_PROXY sends a host direct.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { httpsStandIn, providerCA, startTestGateway, type TestGateway } from './helpers/gateway.js';
import { startCapture, type RunningCapture } from './helpers/proxy.js';
import { StandIn } from './helpers/standin.js';

describe('gateway: outbound calls through HTTPS_PROXY (the forward capture)', () => {
  let ca: Awaited<ReturnType<typeof providerCA>>;
  let provider: StandIn;
  let cap: RunningCapture & { dir: string };
  let gw: TestGateway;
  let direct: TestGateway;
  let plain: StandIn;
  let plainGw: TestGateway;
  const models = () => `model_list:\n  - model_name: claude-x\n    litellm_params:\n      model: anthropic/claude-x-upstream\n      api_base: ${provider.url}\n`;
  before(async () => {
    ca = await providerCA();
    provider = await httpsStandIn(ca);
    // The forward capture trusts the provider's CA; the gateway trusts only the capture's CA (cert_dir).
    cap = await startCapture(['--mode', 'forward'], undefined, { NODE_EXTRA_CA_CERTS: ca.certPath });
    const yaml = `ccproxy:\n  mitm:\n    cert_dir: ${cap.dir}\n`;
    gw = await startTestGateway({ configYaml: models(), ccproxyYaml: yaml }, { HTTPS_PROXY: cap.url });
    plain = await new StandIn().start();
    plainGw = await startTestGateway(
      { configYaml: `model_list:\n  - model_name: claude-x\n    litellm_params:\n      model: anthropic/claude-x-upstream\n      api_base: ${plain.url}\n`, ccproxyYaml: yaml },
      { HTTPS_PROXY: cap.url, HTTP_PROXY: cap.url },
    );
    direct = await startTestGateway({ configYaml: models(), ccproxyYaml: yaml }, { https_proxy: cap.url, NO_PROXY: '127.0.0.1', NODE_EXTRA_CA_CERTS: ca.certPath });
  });
  after(async () => {
    await gw?.stop();
    await direct?.stop();
    await plainGw?.stop();
    await plain?.close();
    assert.equal(await cap?.stop(), 0);
    await provider?.close();
    ca?.remove();
  });

  test('a request goes through the forward capture, which records it with the rewritten model and session id', async () => {
    assert.equal(gw.proxy, cap.url);
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'sk-ant-api03-k', maxRetries: 0 });
    const msg = await client.messages.create({ model: 'claude-x', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-claude-code-session-id': 'gw-through-proxy' } });
    assert.equal(msg.type, 'message');
    const [row] = await cap.rows(`session_id = 'gw-through-proxy'`);
    assert.ok(row, 'the forward capture wrote a row');
    assert.equal(row.proxy_direction, 1);
    assert.equal(row.url, `https://127.0.0.1:${provider.port}/v1/messages`);
    assert.equal(row.status_code, 200);
    assert.equal(JSON.parse(row.request_body.toString()).model, 'claude-x-upstream');
  });

  test('NO_PROXY: a listed host is called directly, without a row', async () => {
    const client = new Anthropic({ baseURL: direct.url, apiKey: 'sk-ant-api03-k', maxRetries: 0 });
    const before = provider.seen.length;
    await client.messages.create({ model: 'claude-x', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-claude-code-session-id': 'gw-no-proxy' } });
    assert.equal(provider.seen.length, before + 1);
    // A marker request through the proxy: once its row is there, a row for the direct one would be too.
    const viaProxy = new Anthropic({ baseURL: gw.url, apiKey: 'sk-ant-api03-k', maxRetries: 0 });
    await viaProxy.messages.create({ model: 'claude-x', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-claude-code-session-id': 'gw-marker' } });
    assert.equal((await cap.rows(`session_id = 'gw-marker'`)).length, 1);
    assert.equal((await cap.rows(`session_id = 'gw-no-proxy'`, 0)).length, 0);
  });

  test('a plain-http provider goes through HTTP_PROXY as an absolute-form request, so the forward capture records it', async () => {
    const client = new Anthropic({ baseURL: plainGw.url, apiKey: 'sk-ant-api03-k', maxRetries: 0 });
    const before = plain.seen.length;
    await client.messages.create({ model: 'claude-x', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-claude-code-session-id': 'gw-plain-http' } });
    assert.equal(plain.seen.length, before + 1);
    const [row] = await cap.rows(`session_id = 'gw-plain-http'`);
    assert.ok(row, 'the forward capture wrote a row');
    assert.equal(row.url, `${plain.url}/v1/messages`);
    assert.equal(row.is_https, false);
    assert.equal(row.status_code, 200);
  });

  test('a provider the forward capture cannot reach: 502 naming the deployment, and an error row', async () => {
    const closed = new StandIn();
    await closed.start();
    await closed.close(); // a port nobody listens on now
    const gone = await startTestGateway(
      { configYaml: `model_list:\n  - model_name: claude-gone\n    litellm_params:\n      model: anthropic/claude-gone\n      api_base: ${closed.url}\n` },
      { HTTPS_PROXY: cap.url, HTTP_PROXY: cap.url },
    );
    try {
      const res = await fetch(`${gone.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-api03-k', 'x-claude-code-session-id': 'gw-gone' },
        body: JSON.stringify({ model: 'claude-gone', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(res.status, 502);
      const body = (await res.json()) as { error: { message: string; deployment: string; error_type: string } };
      assert.equal(body.error.deployment, 'claude-gone');
      assert.equal(body.error.error_type, 'connect_failed');
      assert.match(body.error.message, /could not reach deployment "claude-gone"/);
      const [row] = await cap.rows(`session_id = 'gw-gone'`);
      assert.equal(row.error_type, 'connect_failed');
    } finally {
      await gone.stop();
    }
  });
});
