// GET /api/live: Server-Sent Events that tell open pages what changed. One connection per viewer LISTENs on
// ccproxy_traces (store/notify.ts: every writer of the database NOTIFYs after its batches commit; on the embedded
// database the holder relays notifications to its socket's listeners, store/pglite-notify.ts) and each
// notification goes to every page as a `traces` event. A lost connection is retried every second; pages get a
// `database` event when it goes and when it comes back, so they can say so and reload what they show.
import type http from 'node:http';
import pg from 'pg';
import type { Logger } from '../log.js';
import { TRACES_CHANNEL } from '../store/notify.js';
import { SECURITY_HEADERS } from './respond.js';

/** A comment line now and then keeps proxies and browsers from timing the stream out. */
const HEARTBEAT_MS = 15_000;
const RETRY_MS = 1_000;

export interface LiveFeed {
  subscribe(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Pages connected now. */
  readonly pages: number;
  close(): void;
}

export function liveFeed(url: () => string, log: Logger, unreachable: () => void = () => {}): LiveFeed {
  const pages = new Set<http.ServerResponse>();
  let client: pg.Client | null = null;
  let up: boolean | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  const heartbeat = setInterval(() => {
    for (const res of pages) res.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const send = (event: string, data: unknown) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of pages) res.write(frame);
  };
  const setUp = (now: boolean, message?: string) => {
    if (up === now) return;
    up = now;
    send('database', { up: now, ...(message ? { message } : {}) });
  };

  const connect = async () => {
    retry = null;
    if (closed || client) return;
    const c = new pg.Client({ connectionString: url(), connectionTimeoutMillis: 5_000, application_name: 'ccproxy viewer' });
    client = c;
    const lost = (err?: Error) => {
      if (client !== c) return;
      client = null;
      c.removeAllListeners('notification');
      void c.end().catch(() => {});
      if (closed) return;
      setUp(false, err?.message ?? 'the connection to the database ended');
      unreachable();
      retry ??= setTimeout(() => void connect(), RETRY_MS);
      retry.unref();
    };
    c.on('error', lost);
    c.on('end', () => lost());
    c.on('notification', (n) => {
      if (n.channel !== TRACES_CHANNEL) return;
      let payload: unknown = null;
      try {
        payload = JSON.parse(n.payload ?? 'null');
      } catch {
        payload = null;
      }
      send('traces', payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${TRACES_CHANNEL}`);
      if (client === c) setUp(true);
    } catch (err) {
      log.debug(`viewer: live updates: ${(err as Error).message}`);
      lost(err as Error);
    }
  };

  return {
    get pages() {
      return pages.size;
    },
    subscribe(req, res) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write(`retry: ${RETRY_MS}\nevent: hello\ndata: ${JSON.stringify({ database: up })}\n\n`);
      pages.add(res);
      const gone = () => pages.delete(res);
      req.on('close', gone);
      res.on('close', gone);
      if (!client && !retry) void connect();
    },
    close() {
      closed = true;
      clearInterval(heartbeat);
      if (retry) clearTimeout(retry);
      for (const res of pages) res.end();
      pages.clear();
      const c = client;
      client = null;
      void c?.end().catch(() => {});
    },
  };
}
