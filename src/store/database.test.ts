import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainDbError, isConnectionError, type Backend } from './database.js';

const backend: Backend = { kind: 'server', url: 'postgresql://ccproxy:s3cret@db.internal:6543/traces', safeUrl: 'postgresql://ccproxy:***@db.internal:6543/traces', source: 'DATABASE_URL' };
const db = { backend, describe: () => `${backend.safeUrl} (from ${backend.source})` };

// The local test server trusts every connection, so it cannot refuse a password: these are the driver's
// error shapes for the SQLSTATEs PostgreSQL sends, checked for the message a user reads.
test('a wrong password names the user, never the password', () => {
  const msg = explainDbError(Object.assign(new Error('password authentication failed for user "ccproxy"'), { code: '28P01' }), db).message;
  assert.equal(msg, 'database error: password authentication failed for user "ccproxy"\n  database: postgresql://ccproxy:***@db.internal:6543/traces (from DATABASE_URL)');
  assert.doesNotMatch(msg, /s3cret/);
});

test('a connect timeout names the address', () => {
  const msg = explainDbError(new Error('Connection terminated due to connection timeout'), db).message;
  assert.match(msg, /^database error: connection to db\.internal:6543 timed out after 5s\n/);
});

test('connection-error classification', () => {
  assert.ok(isConnectionError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })));
  assert.ok(isConnectionError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })));
  assert.ok(!isConnectionError(Object.assign(new Error('value out of range'), { code: '22003' })));
});
