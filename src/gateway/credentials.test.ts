import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Deployment } from './config.js';
import { addBeta, applyCredentials, OatSources } from './credentials.js';

const dep = (over: Partial<Deployment> = {}): Deployment => ({ name: 'd', provider: 'anthropic', format: 'anthropic', model: 'm', apiBase: new URL('https://api.anthropic.com'), apiKey: null, extraHeaders: {}, where: 'config.yaml:2', unusable: null, index: 0, ...over });
const all = { oauth: true, apiKey: true };
const none = new OatSources({}, {});

test('the deployment key wins and the client credentials are dropped', async () => {
  const h: Record<string, string | string[]> = { authorization: 'Bearer sk-ant-oat01-x', 'x-api-key': 'client' };
  assert.equal((await applyCredentials(h, dep({ apiKey: { literal: 'dk' } }), all, none, {})).kind, 'deployment');
  assert.deepEqual(h, { 'x-api-key': 'dk' });
  const o: Record<string, string | string[]> = {};
  await applyCredentials(o, dep({ format: 'openai', provider: 'openai', apiKey: { env: 'K' } }), all, none, { K: 'ok' });
  assert.deepEqual(o, { authorization: 'Bearer ok' });
  await assert.rejects(() => applyCredentials({}, dep({ apiKey: { env: 'UNSET' } }), all, none, {}), /os\.environ\/UNSET, which is not set/);
});

test('a Bearer OAuth token to Anthropic: x-api-key dropped, the oauth beta added once; a Bearer API key is left alone', async () => {
  const h: Record<string, string | string[]> = { authorization: 'Bearer sk-ant-oat01-x', 'x-api-key': 'stray', 'anthropic-beta': 'a,oauth-2025-04-20' };
  assert.equal((await applyCredentials(h, dep(), all, none, {})).kind, 'client-bearer');
  assert.deepEqual(h, { authorization: 'Bearer sk-ant-oat01-x', 'anthropic-beta': 'a,oauth-2025-04-20' });
  const k: Record<string, string | string[]> = { authorization: 'Bearer sk-ant-api03-x' };
  assert.equal((await applyCredentials(k, dep(), all, none, {})).kind, 'client-api-key');
  assert.equal(k['anthropic-beta'], undefined);
});

test('without forward_oauth / forward_apikey the client credentials do not go through', async () => {
  const h: Record<string, string | string[]> = { authorization: 'Bearer sk-ant-oat01-x', 'x-api-key': 'k', other: 'kept' };
  assert.equal((await applyCredentials(h, dep(), { oauth: false, apiKey: false }, none, {})).kind, 'none');
  assert.deepEqual(h, { other: 'kept' });
});

test('oat_sources: a command token, cached, read again once on refresh', async () => {
  let n = 0;
  const oat = new OatSources({ anthropic: { command: 'echo "  tok-$N  "', user_agent: 'ua/1' } }, { N: '1', PATH: process.env.PATH });
  const src = oat.sourceFor(dep())!;
  const origRead = (oat as unknown as { read: (s: unknown) => Promise<string> }).read.bind(oat);
  (oat as unknown as { read: (s: unknown) => Promise<string> }).read = (s) => (n++, origRead(s));
  assert.equal(await oat.token(src), 'tok-1');
  assert.equal(await oat.token(src), 'tok-1');
  assert.equal(n, 1);
  await Promise.all([oat.refresh(src, 'tok-1'), oat.refresh(src, 'tok-1')]);
  assert.equal(n, 2, 'concurrent refreshes share one read');
  const h: Record<string, string | string[]> = {};
  assert.equal((await applyCredentials(h, dep(), all, oat, {})).kind, 'oat');
  assert.deepEqual(h, { authorization: 'Bearer tok-1', 'anthropic-beta': 'oauth-2025-04-20', 'user-agent': 'ua/1' });
  const bad = new OatSources({ anthropic: 'exit 3' }, { PATH: process.env.PATH });
  await assert.rejects(() => bad.token(bad.sourceFor(dep())!), /oat_sources\.anthropic: command failed \(exit 3\)/);
});

test('addBeta keeps the flags there and adds one once', () => {
  const h: Record<string, string | string[]> = { 'anthropic-beta': 'x, y' };
  addBeta(h, 'z');
  addBeta(h, 'z');
  assert.equal(h['anthropic-beta'], 'x,y,z');
});
