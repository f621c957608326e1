import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../errors.js';
import { checkRange, localTimeZone, parseBound, parseReport, parseTimeZone } from './usage-options.js';

const badArgs = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof UserError && e.exitCode === 2 && message.test(e.message));

test('reports: daily by default, the six names, anything else a bad argument', () => {
  assert.equal(parseReport(undefined), 'daily');
  for (const r of ['daily', 'weekly', 'monthly', 'session', 'model', 'blocks']) assert.equal(parseReport(r), r);
  badArgs(() => parseReport('hourly'), /unknown report "hourly": expected one of daily, weekly/);
});

test('bounds: a calendar date, or an age counted back from now', () => {
  assert.deepEqual(parseBound('2026-11-20', '--since'), { date: '2026-11-20' });
  const now = Date.parse('2026-11-28T12:00:00Z');
  assert.deepEqual(parseBound('7d', '--since', now), { instant: '2026-11-21T12:00:00.000Z' });
  assert.deepEqual(parseBound('12h', '--until', now), { instant: '2026-11-28T00:00:00.000Z' });
  badArgs(() => parseBound('2026-02-30', '--since'), /--since: "2026-02-30" is not a calendar date/);
  badArgs(() => parseBound('yesterday', '--until'), /--until: invalid date "yesterday": expected YYYY-MM-DD or an age/);
  badArgs(() => parseBound('20261120', '--since'), /invalid date/);
  badArgs(() => parseBound('999999999d', '--since', now), /--since: "999999999d" reaches back before the year 1/);
  badArgs(() => parseBound('0000-01-01', '--since'), /--since: "0000-01-01" is before the year 1/);
  assert.deepEqual(parseBound('0001-01-01', '--until'), { date: '0001-01-01' });
  assert.deepEqual(parseBound('700000d', '--since', now), { instant: new Date(now - 700_000 * 86_400_000).toISOString() });
});

test('time zones: IANA names, checked; bare offsets refused (PostgreSQL reads their sign the POSIX way)', () => {
  assert.equal(parseTimeZone('Europe/Berlin'), 'Europe/Berlin');
  assert.equal(parseTimeZone('UTC'), 'UTC');
  assert.ok(parseTimeZone(undefined).length > 0);
  badArgs(() => parseTimeZone('Mars/Olympus'), /unknown time zone "Mars\/Olympus"/);
  badArgs(() => parseTimeZone('+01:00'), /unknown time zone/);
  badArgs(() => parseTimeZone("UTC'; DROP TABLE x"), /unknown time zone/);
  badArgs(() => parseTimeZone(''), /--timezone: an empty name/);
});

test("the local zone: TZ as it is spelt; a TZ that names no zone is an error, not days counted in UTC", () => {
  assert.equal(localTimeZone({ TZ: 'Asia/Kolkata' }), 'Asia/Kolkata');
  assert.equal(localTimeZone({ TZ: ':Europe/Berlin' }), 'Europe/Berlin');
  assert.equal(localTimeZone({ TZ: '' }), 'UTC', 'set but empty: UTC, as POSIX and Node read it');
  assert.ok(localTimeZone({}).length > 0);
  badArgs(() => localTimeZone({ TZ: 'Bogus/Zone' }), /TZ=Bogus\/Zone is not a time zone name this machine knows/);
});

test('a range that ends before it starts is a bad argument; days and ages are compared among themselves', () => {
  badArgs(() => checkRange({ date: '2026-11-30' }, { date: '2026-11-01' }, '2026-11-30', '2026-11-01'), /--since 2026-11-30 is after --until 2026-11-01/);
  badArgs(() => checkRange({ instant: '2026-11-27T00:00:00.000Z' }, { instant: '2026-11-20T00:00:00.000Z' }, '1d', '8d'), /--since 1d is after --until 8d/);
  checkRange({ date: '2026-11-01' }, { date: '2026-11-01' });
  checkRange({ date: '2026-11-30' }, { instant: '2026-11-01T00:00:00.000Z' });
  checkRange(null, { date: '2026-11-01' });
});
