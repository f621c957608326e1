import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MapRemote, prefixProblem } from './map-remote.js';

const map = (entries: { from: string; to: string }[], url: string) => new MapRemote(entries).map(url)?.href ?? null;

test('an origin maps every path under it, query kept', () => {
  const e = [{ from: 'https://api.openai.com', to: 'http://127.0.0.1:4000' }];
  assert.equal(map(e, 'https://api.openai.com/v1/responses?stream=true'), 'http://127.0.0.1:4000/v1/responses?stream=true');
  assert.equal(map(e, 'https://api.openai.com/'), 'http://127.0.0.1:4000/');
  assert.equal(map(e, 'https://api.openai.com'), 'http://127.0.0.1:4000/');
});

test('only the same scheme, host and port match; a host with the prefix as its start does not', () => {
  const e = [{ from: 'https://api.openai.com', to: 'http://127.0.0.1:4000' }];
  assert.equal(map(e, 'http://api.openai.com/v1/models'), null);
  assert.equal(map(e, 'https://api.openai.com:8443/v1/models'), null);
  assert.equal(map(e, 'https://api.openai.com.example.net/v1/models'), null);
  assert.equal(map(e, 'https://API.OpenAI.com:443/v1/models'), 'http://127.0.0.1:4000/v1/models', 'case and the default port do not matter');
});

test('a path prefix matches at a segment boundary and is replaced by the target path', () => {
  const e = [{ from: 'https://api.openai.com/v1', to: 'http://localhost:11434/openai/v1' }];
  assert.equal(map(e, 'https://api.openai.com/v1/chat/completions'), 'http://localhost:11434/openai/v1/chat/completions');
  assert.equal(map(e, 'https://api.openai.com/v1'), 'http://localhost:11434/openai/v1');
  assert.equal(map(e, 'https://api.openai.com/v1beta/models'), null);
  assert.equal(map(e, 'https://api.openai.com/v2/models'), null);
  const slash = [{ from: 'https://a.example/v1/', to: 'https://b.example/x/' }];
  assert.equal(map(slash, 'https://a.example/v1/models'), 'https://b.example/x/models');
  assert.equal(map(slash, 'https://a.example/v1/'), 'https://b.example/x/');
  assert.equal(map(slash, 'https://a.example/v1'), null);
});

test('the longest matching from wins, whatever the order in the file', () => {
  const e = [
    { from: 'https://api.openai.com', to: 'http://127.0.0.1:4000' },
    { from: 'https://api.openai.com/v1/embeddings', to: 'http://127.0.0.1:9000/emb' },
  ];
  assert.equal(map(e, 'https://api.openai.com/v1/embeddings'), 'http://127.0.0.1:9000/emb');
  assert.equal(map(e, 'https://api.openai.com/v1/responses'), 'http://127.0.0.1:4000/v1/responses');
  assert.equal(map([...e].reverse(), 'https://api.openai.com/v1/embeddings'), 'http://127.0.0.1:9000/emb');
});

test('an unresolvable host, IPv6 targets and ports', () => {
  assert.equal(map([{ from: 'https://api.openai.invalid', to: 'https://[::1]:8443' }], 'https://api.openai.invalid/v1/responses'), 'https://[::1]:8443/v1/responses');
  assert.equal(map([{ from: 'http://127.0.0.1:8080', to: 'https://example.com' }], 'http://127.0.0.1:8080/x'), 'https://example.com/x');
});

test('no entries: nothing is mapped', () => {
  assert.equal(new MapRemote([]).map('https://api.openai.com/v1/models'), null);
});

test('prefixProblem: absolute http(s) URLs only, without query, fragment or credentials', () => {
  assert.equal(prefixProblem('https://api.openai.com'), null);
  assert.equal(prefixProblem('http://127.0.0.1:4000/v1'), null);
  assert.match(prefixProblem('api.openai.com')!, /not an absolute URL/);
  assert.match(prefixProblem('/v1/responses')!, /not an absolute URL/);
  assert.match(prefixProblem('wss://api.openai.com')!, /http:\/\/ or https:\/\//);
  assert.match(prefixProblem('ftp://x')!, /http:\/\/ or https:\/\//);
  assert.match(prefixProblem('https://x/v1?key=1')!, /no query/);
  assert.match(prefixProblem('https://x/#a')!, /no query or fragment/);
  assert.match(prefixProblem('https://u:p@x/')!, /no user or password/);
});
