// Wildcard routing end to end: the config.yaml `ccproxy install` writes, with only its api_base lines set to reach
// an HTTPS stand-in, routes models it does not list to the stand-in under their own names (the Anthropic and
// OpenAI SDKs through the gateway); the labels reach a model only a pattern routes; the most specific pattern
// wins; a model nothing routes is a 404 naming the patterns, with nothing sent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { CONFIG_YAML } from '../src/config/templates.js';
import { httpsStandIn, providerCA, startTestGateway, type TestGateway } from './helpers/gateway.js';
import type { StandIn } from './helpers/standin.js';

/** The installed config.yaml with each commented `# api_base: <public API>` line set to the stand-in. */
function templateAt(base: string): string {
  const text = CONFIG_YAML.replace('# api_base: https://api.anthropic.com', `api_base: ${base}`).replace('# api_base: https://api.openai.com/v1', `api_base: ${base}/v1`);
  assert.notEqual(text, CONFIG_YAML);
  return text;
}

describe('wildcard routing through the gateway to an HTTPS stand-in', () => {
  let ca: Awaited<ReturnType<typeof providerCA>>;
  let provider: StandIn;
  let gw: TestGateway;
  let labelled: TestGateway;
  let anthropic: Anthropic;
  before(async () => {
    ca = await providerCA();
    provider = await httpsStandIn(ca);
    const env = { NODE_EXTRA_CA_CERTS: ca.certPath };
    gw = await startTestGateway({ configYaml: templateAt(provider.url) }, env);
    // No rule and no passthrough: every request goes to the "default" label, an alias only claude-* routes.
    labelled = await startTestGateway({ configYaml: templateAt(provider.url), ccproxyYaml: 'ccproxy:\n  default_model_passthrough: false\n' }, env);
    anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'sk-ant-api03-client-key', maxRetries: 0 });
  });
  after(async () => {
    await gw?.stop();
    await labelled?.stop();
    await provider?.close();
    ca?.remove();
  });

  const lastModel = () => JSON.parse(provider.seen.at(-1)!.body.toString()).model as string;

  test('Anthropic SDK: a Claude model config.yaml does not list reaches the stand-in under its own name', async () => {
    const msg = await anthropic.messages.create({ model: 'claude-opus-4-8', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal((msg.content[0] as { text: string }).text, 'Hello from the stand-in');
    assert.equal(provider.seen.at(-1)!.url, '/v1/messages');
    assert.equal(lastModel(), 'claude-opus-4-8');
    await anthropic.messages.create({ model: 'claude-haiku-4-5-20251001', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(lastModel(), 'claude-haiku-4-5-20251001');
  });

  test('OpenAI SDK: gpt-5 and o4-mini go to the OpenAI deployment under their own names', async () => {
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-openai-client-key', maxRetries: 0 });
    const c = await openai.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(c.choices[0]!.message.content, 'Hello from the OpenAI stand-in');
    assert.equal(provider.seen.at(-1)!.url, '/v1/chat/completions');
    assert.equal(lastModel(), 'gpt-5');
    assert.equal(provider.seen.at(-1)!.headers.authorization, 'Bearer sk-openai-client-key', "the client's own key is forwarded");
  });

  test('the default label resolves through the claude-* pattern', async () => {
    const client = new Anthropic({ baseURL: labelled.url, apiKey: 'sk-ant-api03-client-key', maxRetries: 0 });
    await client.messages.create({ model: 'whatever-the-client-asks', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(lastModel(), 'claude-opus-4-8');
  });

  test('a model no pattern routes: 404 naming the names and patterns, nothing sent', async () => {
    const before = provider.seen.length;
    await assert.rejects(
      () => anthropic.messages.create({ model: 'llama-3.1-70b', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
      (err: InstanceType<typeof Anthropic.NotFoundError>) => {
        assert.equal(err.status, 404);
        const message = (err.error as { error: { message: string } }).error.message;
        assert.match(message, /model "llama-3\.1-70b" has no route: .*config\.yaml has no model_name "llama-3\.1-70b" and no pattern matches it; configured model names: default, background, think; patterns: claude-\*, gpt-\*/);
        return true;
      },
    );
    assert.equal(provider.seen.length, before);
  });
});

test('the more specific pattern wins over the broader one, an exact name over both (LiteLLM order)', async () => {
  const ca = await providerCA();
  const provider = await httpsStandIn(ca);
  const entry = (name: string, model: string) => `  - model_name: "${name}"\n    litellm_params:\n      model: ${model}\n      api_base: ${provider.url}\n`;
  const gw = await startTestGateway(
    { configYaml: `model_list:\n${entry('*', 'anthropic/catch-all')}${entry('claude-*', 'anthropic/claude-*')}${entry('claude-opus-*', 'anthropic/opus-family-*')}${entry('claude-opus-4-1', 'anthropic/claude-opus-4-1-20250805')}` },
    { NODE_EXTRA_CA_CERTS: ca.certPath },
  );
  try {
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'sk-ant-api03-k', maxRetries: 0 });
    const sent = async (model: string) => {
      await client.messages.create({ model, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
      return JSON.parse(provider.seen.at(-1)!.body.toString()).model as string;
    };
    assert.equal(await sent('claude-opus-4-8'), 'opus-family-4-8');
    assert.equal(await sent('claude-sonnet-4-5'), 'claude-sonnet-4-5');
    assert.equal(await sent('claude-opus-4-1'), 'claude-opus-4-1-20250805');
    assert.equal(await sent('mistral-large'), 'catch-all');
  } finally {
    await gw.stop();
    await provider.close();
    ca.remove();
  }
});
