import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cookieName, readCookie, Tokens, TOKEN_TTL_MS } from './tokens.js';

test('a link token is good once, and only within its time', () => {
  let now = 1_000;
  const t = new Tokens(() => now);
  const a = t.issue();
  const cookie = t.redeem(a);
  assert.ok(cookie);
  assert.ok(t.signedIn(cookie));
  assert.equal(t.redeem(a), null, 'second use');
  const b = t.issue();
  now += TOKEN_TTL_MS + 1;
  assert.equal(t.redeem(b), null, 'expired');
  assert.equal(t.redeem('made-up'), null);
  assert.equal(t.signedIn('made-up'), false);
  assert.equal(t.signedIn(undefined), false);
});

test('cookies are read by their exact name', () => {
  const name = cookieName(4242);
  assert.equal(readCookie(`a=1; ${name}=xyz; ${name}0=no`, name), 'xyz');
  assert.equal(readCookie('ccproxy_ui_1=abc', name), undefined);
  assert.equal(readCookie(undefined, name), undefined);
});
