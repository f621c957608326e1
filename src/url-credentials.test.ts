import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hidePassword, withoutCredentials } from './url-credentials.js';

test('hidePassword keeps the user and hides the password', () => {
  assert.equal(hidePassword('postgresql://u:p%40ss@h:1/d'), 'postgresql://u:***@h:1/d');
  assert.equal(hidePassword('postgresql://u@h/d'), 'postgresql://u@h/d');
  assert.equal(hidePassword('postgresql://h/d?sslmode=require'), 'postgresql://h/d?sslmode=require');
  // Not a URL the parser takes: the password is still hidden.
  assert.equal(hidePassword('postgresql://u:pw@[bad/d'), 'postgresql://u:***@[bad/d');
});

test('withoutCredentials drops user and password', () => {
  assert.equal(withoutCredentials('http://ccproxy:secret@127.0.0.1:8081'), 'http://127.0.0.1:8081');
  assert.equal(withoutCredentials('http://127.0.0.1:8081/'), 'http://127.0.0.1:8081');
  assert.equal(withoutCredentials('not a url'), null);
});
