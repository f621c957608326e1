// Load generator, run as its own process: N keep-alive connections each sending 1 KB JSON POSTs back to back
// for a duration, directly or through an HTTP proxy (CONNECT + TLS for https targets). Prints JSON:
// { requests, errors, rps, p50, p99 } (latencies in ms). With --rate=N the connections together send N
// requests/s at a steady pace (the soak) instead of as fast as answers come. With --ttfb=N it measures SSE time to first byte
// instead: the median of N streams on one warm keep-alive connection.
//
// The throughput client speaks HTTP/1.1 on raw sockets (prebuilt request bytes, responses framed by
// content-length or chunked encoding), as wrk does: it costs a fraction of what a general-purpose client does
// per request, so on a small machine the proxies, not the client, are what is measured. `--client=undici`
// uses undici's Agent/ProxyAgent instead, for comparison.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')) as [string, string][]);
const url = args.url!;
const proxy = args.proxy;
const ca = args.ca ? readFileSync(args.ca, 'utf8') : undefined;
const connections = Number(args.connections ?? 16);
const seconds = Number(args.seconds ?? 5);
/** With --rate: the time between two requests on one connection. */
const paceMs = args.rate ? (connections * 1000) / Number(args.rate) : 0;
const dispatcher: Dispatcher = proxy
  ? new ProxyAgent({ uri: proxy, requestTls: { ca }, connections })
  : new Agent({ connections, connect: { ca }, keepAliveTimeout: 60_000 });
const body = JSON.stringify({ model: 'claude-bench', max_tokens: 16, messages: [{ role: 'user', content: 'y'.repeat(900) }] });

if (args.ttfb) {
  // On a warm connection, as a streaming client has one: a first stream opens it, then each sample's stream
  // is read to its end so the next one reuses the connection (the first event's time is what is measured).
  const sse = url.replace(/\/v1\/messages$/, '/sse');
  const out: number[] = [];
  let errors = 0;
  for (let i = 0; i <= Number(args.ttfb); i++) {
    // A proxy that closes the connection after a stream (mitmdump may) costs a retry on a new one.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const t0 = performance.now();
        const res = await request(sse, { method: 'GET', dispatcher });
        let first = true;
        for await (const _chunk of res.body) {
          if (first && i > 0) out.push(performance.now() - t0);
          first = false;
        }
        break;
      } catch {
        errors++;
      }
    }
  }
  out.sort((a, b) => a - b);
  console.log(JSON.stringify({ ttfb: out[Math.floor(out.length / 2)] ?? NaN, errors }));
} else {
  const lat: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  const one = args.client === 'undici' ? undiciLoop : rawLoop;
  await Promise.all(Array.from({ length: connections }, (_, i) => one(end, lat, () => errors++, start + (i * paceMs) / connections)));
  const elapsed = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  console.log(JSON.stringify({ requests: lat.length + errors, errors, rps: lat.length / elapsed, p50: lat[Math.floor(lat.length * 0.5)] ?? 0, p99: lat[Math.floor(lat.length * 0.99)] ?? 0 }));
}
await dispatcher.close();

async function undiciLoop(end: number, lat: number[], error: () => void): Promise<void> {
  while (performance.now() < end) {
    const t0 = performance.now();
    try {
      const res = await request(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, dispatcher });
      await res.body.dump();
      if (res.statusCode !== 200) error();
      else lat.push(performance.now() - t0);
    } catch {
      error();
    }
  }
}

/**
 * One keep-alive connection sending the same request back to back (or one every paceMs from `due`); a new
 * connection after an error or a close.
 */
async function rawLoop(end: number, lat: number[], error: () => void, due: number): Promise<void> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const port = Number(target.port) || (secure ? 443 : 80);
  // Through a proxy, plain http goes in absolute form; https is tunnelled with CONNECT.
  const requestTarget = proxy && !secure ? target.href : target.pathname + target.search;
  const raw = Buffer.from(
    `POST ${requestTarget} HTTP/1.1\r\nhost: ${target.host}\r\ncontent-type: application/json\r\nanthropic-version: 2023-06-01\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  while (performance.now() < end) {
    let socket: net.Socket;
    try {
      socket = await openSocket(target.hostname, port, secure);
    } catch {
      error();
      await new Promise((r) => setTimeout(r, 10));
      continue;
    }
    const reader = responses(socket);
    try {
      while (performance.now() < end) {
        if (paceMs) {
          due += paceMs;
          if (due > end) return;
          if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
        }
        const t0 = performance.now();
        socket.write(raw);
        const r = await reader.next();
        if (r.status !== 200) error();
        else lat.push(performance.now() - t0);
        if (r.close) break;
      }
    } catch {
      error();
    } finally {
      socket.destroy();
    }
  }
}

async function openSocket(host: string, port: number, secure: boolean): Promise<net.Socket> {
  let socket: net.Socket;
  if (proxy) {
    const p = new URL(proxy);
    socket = await connected(net.connect({ host: p.hostname, port: Number(p.port), noDelay: true }), 'connect');
    if (secure) {
      socket.write(`CONNECT ${host}:${port} HTTP/1.1\r\nhost: ${host}:${port}\r\n\r\n`);
      const reply = await responses(socket).next(true);
      if (reply.status !== 200) throw new Error(`CONNECT answered ${reply.status}`);
      // The reply's reader is done: TLS takes the socket from here.
      for (const event of ['data', 'error', 'close']) socket.removeAllListeners(event);
    }
  } else {
    socket = await connected(net.connect({ host, port, noDelay: true }), 'connect');
  }
  if (!secure) return socket;
  return connected(tls.connect({ socket, servername: net.isIP(host) ? undefined : host, ca, ALPNProtocols: ['http/1.1'] }), 'secureConnect');
}

function connected<T extends net.Socket>(s: T, event: string): Promise<T> {
  return new Promise((resolve, reject) => {
    s.once(event, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/**
 * Reads responses off a socket, one per next(): the status, and whether the server closes after it. Bodies are
 * framed by content-length or chunked encoding; `headOnly` (a CONNECT reply) ends at the blank line.
 */
function responses(socket: net.Socket) {
  let buf: Buffer = Buffer.alloc(0);
  let want: ((v: { status: number; close: boolean } | Error) => void) | null = null;
  let headOnly = false;
  let failure: Error | null = null;
  const fail = (err: Error) => {
    failure = err;
    want?.(err);
    want = null;
  };
  const tryParse = () => {
    if (!want) return;
    const headEnd = buf.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = buf.toString('latin1', 0, headEnd);
    const status = Number(head.slice(9, 12));
    const lower = head.toLowerCase();
    const close = /\r\nconnection: *close/.test(lower);
    let total = headEnd + 4;
    if (!headOnly) {
      const length = /\r\ncontent-length: *(\d+)/.exec(lower);
      if (length) {
        total += Number(length[1]);
        if (buf.length < total) return;
      } else if (/\r\ntransfer-encoding: *chunked/.test(lower)) {
        const last = buf.indexOf('\r\n0\r\n\r\n', headEnd);
        if (last < 0) return;
        total = last + 7;
      }
    }
    buf = buf.subarray(total);
    const w = want;
    want = null;
    w({ status, close });
  };
  socket.on('data', (c: Buffer) => {
    buf = buf.length === 0 ? c : Buffer.concat([buf, c]);
    tryParse();
  });
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('connection closed')));
  return {
    next(connectReply = false): Promise<{ status: number; close: boolean }> {
      if (failure) return Promise.reject(failure);
      headOnly = connectReply;
      return new Promise((resolve, reject) => {
        want = (v) => (v instanceof Error ? reject(v) : resolve(v));
        tryParse();
      });
    },
  };
}
