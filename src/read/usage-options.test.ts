import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../errors.js';
import { parseBound, parseReport, parseTimeZone } from './usage-options.js';

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
});

test('time zones: IANA names, checked; bare offsets refused (PostgreSQL reads their sign the POSIX way)', () => {
  assert.equal(parseTimeZone('Europe/Berlin'), 'Europe/Berlin');
  assert.equal(parseTimeZone('UTC'), 'UTC');
  assert.ok(parseTimeZone(undefined).length > 0);
  badArgs(() => parseTimeZone('Mars/Olympus'), /unknown time zone "Mars\/Olympus"/);
  badArgs(() => parseTimeZone('+01:00'), /unknown time zone/);
  badArgs(() => parseTimeZone("UTC'; DROP TABLE x"), /unknown time zone/);
});
