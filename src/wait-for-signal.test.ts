import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitForSignal } from './wait-for-signal.js';

test('waitForSignal resolves with the signal that came; the other stays listened for', async (t) => {
  const alive = setInterval(() => {}, 1000); // signal listeners do not keep the event loop running
  t.after(() => clearInterval(alive));
  const hup = process.listenerCount('SIGHUP');
  const term = process.listenerCount('SIGTERM');
  const waiting = waitForSignal(['SIGTERM', 'SIGHUP']);
  process.kill(process.pid, 'SIGHUP');
  assert.equal(await waiting, 'SIGHUP');
  assert.equal(process.listenerCount('SIGHUP'), hup, 'the signal that came is no longer listened for');
  assert.equal(process.listenerCount('SIGTERM'), term + 1, 'a SIGTERM during shutdown would be taken, not fatal');
  process.kill(process.pid, 'SIGTERM'); // taken by that listener: this process goes on
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(process.listenerCount('SIGTERM'), term);
});
