import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fallbacksFor, takeRequestRouting } from './fallbacks.js';
import { DEFAULTS, type RouterSettings } from './settings.js';

const s = (over: Partial<RouterSettings>): RouterSettings => ({ ...DEFAULTS, ...over });
const none = { fallbacks: null, disableFallbacks: false };

test('a failure worth a retry goes to the group\'s fallbacks, in order, looked up by each name the request resolved through', () => {
  const set = s({ fallbacks: { default: ['cheap', 'local'], 'gpt-4o': ['claude'] } });
  assert.deepEqual(fallbacksFor(set, ['default'], 'rate_limit', none), ['cheap', 'local']);
  assert.deepEqual(fallbacksFor(set, ['think', 'gpt-4o'], 'overloaded', none), ['claude']);
  assert.deepEqual(fallbacksFor(set, ['other'], 'server', none), []);
  // A request's own fault is not sent elsewhere.
  assert.deepEqual(fallbacksFor(set, ['default'], 'client', none), []);
});

test('without fallbacks of its own: "*", then default_fallbacks', () => {
  assert.deepEqual(fallbacksFor(s({ fallbacks: { '*': ['any'] }, defaultFallbacks: ['dflt'] }), ['x'], 'timeout', none), ['any']);
  assert.deepEqual(fallbacksFor(s({ defaultFallbacks: ['dflt'] }), ['x'], 'connect', none), ['dflt']);
  assert.deepEqual(fallbacksFor(s({ defaultFallbacks: ['dflt'] }), ['x'], 'unavailable', none), ['dflt']);
});

test('context-window and content-policy errors go to their own lists, else to the general ones', () => {
  const set = s({ fallbacks: { small: ['general'] }, contextWindowFallbacks: { small: ['long'] }, contentPolicyFallbacks: { small: ['lenient'] } });
  assert.deepEqual(fallbacksFor(set, ['small'], 'context_window', none), ['long']);
  assert.deepEqual(fallbacksFor(set, ['small'], 'content_policy', none), ['lenient']);
  assert.deepEqual(fallbacksFor(s({ fallbacks: { small: ['general'] } }), ['small'], 'context_window', none), ['general']);
});

test('the request\'s fallbacks replace the configured ones; disable_fallbacks turns them off; the group itself and repeats are left out; max_fallbacks caps', () => {
  const set = s({ fallbacks: { a: ['b'] }, maxFallbacks: 2 });
  assert.deepEqual(fallbacksFor(set, ['a'], 'rate_limit', { fallbacks: ['c', 'a', 'c', 'd', 'e'], disableFallbacks: false }), ['c', 'd']);
  assert.deepEqual(fallbacksFor(set, ['a'], 'rate_limit', { fallbacks: null, disableFallbacks: true }), []);
});

test('takeRequestRouting takes LiteLLM\'s keys out of the body, refusing malformed ones', () => {
  const body: Record<string, unknown> = { model: 'a', fallbacks: ['b', { model: 'c' }], disable_fallbacks: false, messages: [] };
  assert.deepEqual(takeRequestRouting(body), { fallbacks: ['b', 'c'], disableFallbacks: false });
  assert.deepEqual(body, { model: 'a', messages: [] });
  assert.deepEqual(takeRequestRouting({ disable_fallbacks: true }), { fallbacks: null, disableFallbacks: true });
  assert.equal(takeRequestRouting({ fallbacks: 'b' }), 'fallbacks: expected a list of model names');
  assert.equal(takeRequestRouting({ disable_fallbacks: 'yes' }), 'disable_fallbacks: expected true or false');
});
