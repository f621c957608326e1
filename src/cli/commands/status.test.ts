// The status of a running ccproxy names the embedded database's current holder, not the one of its start.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonState } from '../../daemon/state.js';
import { statusJson } from './status.js';

const state: DaemonState = {
  pid: 100,
  startedAt: '2026-11-29T10:00:00.000Z',
  url: 'http://127.0.0.1:4000',
  mitm: true,
  detached: true,
  logFile: '/tmp/ccproxy.log',
  caCert: null,
  controlPort: 4100,
  components: { gateway: { url: 'http://127.0.0.1:4000', port: 4000 }, database: { url: 'postgresql://postgres@127.0.0.1:39837/postgres', port: 39837 } },
  database: { kind: 'embedded', url: 'postgresql://postgres@127.0.0.1:39837/postgres', port: 39837, dataDir: '/tmp/pglite' },
};

test('the embedded database as its holder serves it now: another port, another process', () => {
  const s = statusJson('/tmp/cfg', 100, state, null, null, null, { pid: 200, port: 35713, url: 'postgresql://postgres@127.0.0.1:35713/postgres' });
  assert.deepEqual(s.components.database, { running: true, pid: 200, url: 'postgresql://postgres@127.0.0.1:35713/postgres', port: 35713, log_file: '/tmp/ccproxy.log' });
  assert.deepEqual(s.database, { kind: 'embedded', url: 'postgresql://postgres@127.0.0.1:35713/postgres', port: 35713, dataDir: '/tmp/pglite' });
});

test('without a live holder record, the database as the state file has it', () => {
  const s = statusJson('/tmp/cfg', 100, state, null, null, null, null);
  assert.equal(s.components.database.port, 39837);
  assert.equal(s.components.database.pid, 100);
  assert.deepEqual(s.database, state.database);
});
