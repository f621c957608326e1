import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fingerprint } from '../capture/redact.js';
import { SESSION_T0, sessionFlow } from '../../test/helpers/session-flows.js';
import { linkedPairs, pairDiff } from './pair-diff.js';

const body = { model: 'claude-sonnet-4-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }], metadata: { user_id: 'u' } };

function pair(forwardBody: object | string, forwardHeaders: Record<string, unknown>) {
  const reverse = sessionFlow({ id: 'r1', start: SESSION_T0, request: body, headers: { host: '127.0.0.1:4000', 'content-type': 'application/json', 'x-api-key': fingerprint('sk-ant-client'), 'anthropic-version': '2023-06-01', 'user-agent': 'claude-cli/2.0.50', 'content-length': '120' } });
  const forward = sessionFlow({ id: 'f1', direction: 'forward', parentId: 'r1', start: SESSION_T0 + 3, request: forwardBody, headers: forwardHeaders });
  return { reverse, forward };
}

test('a rewritten model, headers added, dropped and changed (fingerprints compared as stored), the host changed', () => {
  const { reverse, forward } = pair({ ...body, model: 'claude-opus-4-8', max_tokens: 200 }, { host: 'api.anthropic.com', 'content-type': 'application/json', 'x-api-key': fingerprint('sk-ant-deployment'), 'anthropic-version': '2023-06-01', 'anthropic-beta': 'context-1m', 'content-length': '121' });
  const d = pairDiff(reverse, forward);
  assert.equal(d.linked, true);
  assert.deepEqual(d.model, { before: 'claude-sonnet-4-5', after: 'claude-opus-4-8', changed: true });
  assert.deepEqual(d.api, { before: 'anthropic-messages', after: 'anthropic-messages' });
  assert.deepEqual(d.url, { before: 'http://127.0.0.1:4000/v1/messages?beta=true', after: 'https://api.anthropic.com/v1/messages?beta=true', changed: true, hostChanged: true, pathChanged: false });
  assert.deepEqual(d.method, { before: 'POST', after: 'POST', changed: false });
  assert.deepEqual(
    d.headers.map((h) => [h.name, h.kind, h.transport]),
    [['anthropic-beta', 'added', false], ['content-length', 'changed', true], ['host', 'changed', true], ['user-agent', 'removed', false], ['x-api-key', 'changed', false]],
  );
  const key = d.headers.find((h) => h.name === 'x-api-key')!;
  assert.equal(key.before, fingerprint('sk-ant-client'));
  assert.equal(key.after, fingerprint('sk-ant-deployment'));
  assert.deepEqual(d.body.changes, [{ path: '/model', kind: 'changed', before: 'claude-sonnet-4-5', after: 'claude-opus-4-8' }, { path: '/max_tokens', kind: 'changed', before: 100, after: 200 }]);
  assert.equal(d.body.same, false);
  assert.deepEqual(d.notes, []);
});

test('the same body byte for byte; a repeated header compared joined', () => {
  const { reverse, forward } = pair(body, { 'content-type': 'application/json', 'x-api-key': fingerprint('sk-ant-client'), 'anthropic-version': '2023-06-01', 'user-agent': 'claude-cli/2.0.50', 'x-tag': ['a', 'b'] });
  const d = pairDiff(reverse, forward);
  assert.equal(d.body.same, true);
  assert.deepEqual(d.body.changes, []);
  assert.equal(d.model.changed, false);
  assert.deepEqual(d.headers.find((h) => h.name === 'x-tag'), { name: 'x-tag', kind: 'added', before: null, after: 'a, b', transport: false });
});

test('a translated request (Anthropic to OpenAI chat) is said to be one; bodies that are not JSON differ as text', () => {
  const { reverse } = pair(body, {});
  const chat = sessionFlow({ id: 'f2', direction: 'forward', parentId: 'r1', start: SESSION_T0, host: 'api.openai.com', path: '/v1/chat/completions', request: { model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }] } });
  const d = pairDiff(reverse, chat);
  assert.deepEqual(d.api, { before: 'anthropic-messages', after: 'openai-chat' });
  assert.match(d.notes.join('\n'), /translated the request from anthropic-messages to openai-chat/);
  assert.equal(d.url.pathChanged, true);
  const broken = sessionFlow({ id: 'f3', direction: 'forward', start: SESSION_T0, request: '{"model": "claude-' });
  const e = pairDiff(reverse, broken);
  assert.equal(e.linked, false);
  assert.equal(e.body.changes, null);
  assert.deepEqual(e.notes, ['the provider-side request is not linked to this client request by the stored parent trace id', "the provider's body is not JSON: they differ, but not structurally"]);
  assert.equal(e.model.after, null);
});

test('a body not stored on one side, a map_remote original URL', () => {
  const { reverse } = pair(body, {});
  const mapped = { ...reverse, request: { ...reverse.request, originalUrl: 'https://api.openai.com/v1/messages' } };
  const missing = sessionFlow({ id: 'f4', direction: 'forward', parentId: 'r1', start: SESSION_T0, request: null });
  missing.request.bodySize = 500;
  const d = pairDiff(mapped, missing);
  assert.equal(d.url.before, 'https://api.openai.com/v1/messages');
  assert.equal(d.body.same, false);
  assert.deepEqual(d.notes, ["the provider side's body was not stored"]);
});

test('linkedPairs: reverse flows with their forward children by the stored link, never by time', () => {
  const r = sessionFlow({ id: 'r', start: SESSION_T0, request: body });
  const f = sessionFlow({ id: 'f', direction: 'forward', parentId: 'r', start: SESSION_T0 + 1, request: body });
  const stray = sessionFlow({ id: 's', direction: 'forward', start: SESSION_T0 + 1, request: body });
  const lonely = sessionFlow({ id: 'l', start: SESSION_T0 + 2, request: body });
  assert.deepEqual(linkedPairs([r, f, stray, lonely]).map((p) => [p.reverse.id, p.forwards.map((x) => x.id)]), [['r', ['f']]]);
});
