// The durability promise at its sharpest: a client that has a response's last byte kills ccproxy at once, and the
// exchange is still written by the next start. The answer is a stream whose end comes on its own after a pause,
// and whose secrets take the redact stage milliseconds to clean (it reads the whole stored body at the end): a
// capture that let the end go out before it recorded the exchange would be killed in the middle of that work.
// The kill comes from the client's 'end' handler, within a millisecond of the last byte.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import pg from 'pg';
import { isAlive } from '../src/store/holder.js';
import { launchCapture } from './helpers/proxy.js';
import { createTempDatabase, serverSkip, tempConfigDir } from './helpers/pg.js';

/** An SSE answer of `events` events, each carrying a field the redact stage must fingerprint. */
function sseBody(events: number): string {
  let out = '';
  for (let i = 0; i < events; i++) out += `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: `part ${i} `.repeat(8) }, api_key: `sk-ant-api03-${'x'.repeat(40)}${i}` })}\n\n`;
  return out;
}

/** POSTs to `url` and SIGKILLs `pid` the moment the response has ended; resolves with the bytes received. */
function requestThenKill(url: string, session: string, pid: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-claude-code-session-id': session } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => {
        process.kill(pid, 'SIGKILL');
        resolve(bytes);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'claude-haiku-4-5-20251001', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] }));
  });
}

describe('SIGKILL the moment a client has its whole response', { skip: await serverSkip() }, () => {
  test('the exchange is written by the next start: recorded before its last byte left', { timeout: 90_000 }, async () => {
    const body = sseBody(4_000);
    const upstream = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        // Chunked: the client has it all only once the terminating chunk arrives. It comes on its own after a
        // pause (a stream's last event, then its end), when everything before it has long reached the client.
        for (let i = 0; i < body.length; i += 64 * 1024) res.write(body.slice(i, i + 64 * 1024));
        setTimeout(() => res.end(), 300);
      });
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const cfg = tempConfigDir();
    const db = await createTempDatabase();
    const env = { CCPROXY_CONFIG_DIR: cfg.dir, CCPROXY_DATABASE_URL: db.url };
    const client = new pg.Client(db.url);
    try {
      const sessions = ['killed-1', 'killed-2', 'killed-3'];
      for (const session of sessions) {
        const cap = await launchCapture(['--upstream', upstreamUrl], env);
        const received = await requestThenKill(cap.url, session, cap.child.pid!);
        assert.equal(received, Buffer.byteLength(body), 'the client had the whole answer before the kill');
        await once(cap.child, 'exit');
        assert.equal(cap.child.signalCode, 'SIGKILL');
      }
      // The next start replays what the killed processes journaled.
      const after = await launchCapture(['--upstream', upstreamUrl], env);
      try {
        await client.connect();
        let rows: { session_id: string; status_code: number; size: number }[] = [];
        for (let i = 0; i < 200; i++) {
          rows = (await client.query(`SELECT session_id, status_code, length(response_body) AS size FROM "CCProxy_HttpTraces" WHERE session_id = ANY($1) AND end_time IS NOT NULL ORDER BY session_id`, [sessions])).rows;
          if (rows.length === sessions.length) break;
          await sleep(50);
        }
        assert.deepEqual(
          rows.map((r) => [r.session_id, r.status_code]),
          sessions.map((s) => [s, 200]),
          `every killed exchange is in the table, complete; the log said:\n${after.log.join('\n')}`,
        );
        for (const r of rows) assert.ok(r.size > 100_000, `${r.session_id}: the streamed answer is stored (${r.size} characters)`);
        assert.ok(after.log.some((l) => /replaying \d+ operations from its crash journal/.test(l)), 'it came from the crash journal');
      } finally {
        after.child.kill('SIGINT');
        await once(after.child, 'exit');
        for (let i = 0; i < 100 && isAlive(after.child.pid!); i++) await sleep(20);
      }
    } finally {
      await client.end().catch(() => {});
      upstream.close();
      await db.drop();
      cfg.remove();
    }
  });
});
