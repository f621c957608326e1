// WebSocket load generator, run as its own process: small messages echoed by the benchmark upstream over
// wss://, directly or through an HTTP proxy (CONNECT, then TLS with the proxy's CA). Prints JSON:
// { messages, rate, rttP50, errors }: echoed messages per second over CONNECTIONS connections each keeping
// WINDOW messages in flight, then the median round trip of one message at a time on one connection.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { WebSocket } from 'ws';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')) as [string, string][]);
const url = new URL(args.url!);
const proxy = args.proxy ? new URL(args.proxy) : null;
const ca = args.ca ? readFileSync(args.ca) : undefined;
const connections = Number(args.connections ?? 4);
const seconds = Number(args.seconds ?? 4);
/** Messages each connection keeps in flight: enough to keep a proxy busy, few enough not to queue for long. */
const WINDOW = 16;
const ROUND_TRIPS = Number(args.roundTrips ?? 1000);
/** A small message, as a streaming client's events are. */
const MESSAGE = JSON.stringify({ type: 'response.output_text.delta', delta: 'x'.repeat(64) });

async function tunnel(): Promise<net.Socket> {
  const s = net.connect(Number(proxy!.port), proxy!.hostname);
  s.setNoDelay(true);
  s.write(`CONNECT ${url.host} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
  await new Promise<void>((resolve, reject) => {
    s.once('data', (d) => (/^HTTP\/1\.1 200/.test(String(d)) ? resolve() : reject(new Error(String(d)))));
    s.once('error', reject);
  });
  return s;
}

async function open(): Promise<WebSocket> {
  const socket = proxy ? await tunnel() : undefined;
  const ws = new WebSocket(url, {
    perMessageDeflate: false,
    ca,
    createConnection: socket ? () => tls.connect({ socket, servername: url.hostname, ca }) : undefined,
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

let errors = 0;
let messages = 0;
const sockets = await Promise.all(Array.from({ length: connections }, open));
const until = performance.now() + seconds * 1000;
const t0 = performance.now();
await Promise.all(
  sockets.map(
    (ws) =>
      new Promise<void>((resolve) => {
        let inFlight = 0;
        const send = () => {
          while (inFlight < WINDOW && performance.now() < until) {
            ws.send(MESSAGE);
            inFlight++;
          }
          if (inFlight === 0) resolve();
        };
        ws.on('message', () => {
          messages++;
          inFlight--;
          send();
        });
        ws.on('error', () => {
          errors++;
          resolve();
        });
        send();
      }),
  ),
);
const rate = messages / ((performance.now() - t0) / 1000);
// Latency: one message at a time, on one connection.
const ws = sockets[0]!;
const rtts: number[] = [];
for (let i = 0; i < ROUND_TRIPS; i++) {
  const start = performance.now();
  ws.send(MESSAGE);
  await new Promise((r) => ws.once('message', r));
  rtts.push(performance.now() - start);
}
rtts.sort((a, b) => a - b);
for (const s of sockets) s.close();
console.log(JSON.stringify({ messages, rate, rttP50: rtts[Math.floor(rtts.length / 2)], errors }));
process.exit(0);
