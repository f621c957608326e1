// Load generator, run as its own process: N keep-alive connections each sending 1 KB JSON POSTs back to back
// for a duration, directly or through an HTTP proxy (CONNECT + TLS for https targets). Prints JSON:
// { requests, errors, rps, p50, p99 } (latencies in ms). With --ttfb=N it measures SSE time to first byte
// instead: the median of N streams on one warm keep-alive connection.
import { readFileSync } from 'node:fs';
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')) as [string, string][]);
const url = args.url!;
const proxy = args.proxy;
const ca = args.ca ? readFileSync(args.ca, 'utf8') : undefined;
const connections = Number(args.connections ?? 16);
const seconds = Number(args.seconds ?? 5);
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
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          const res = await request(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, dispatcher });
          await res.body.dump();
          if (res.statusCode !== 200) errors++;
          else lat.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  console.log(JSON.stringify({ requests: lat.length + errors, errors, rps: lat.length / elapsed, p50: lat[Math.floor(lat.length * 0.5)] ?? 0, p99: lat[Math.floor(lat.length * 0.99)] ?? 0 }));
}
await dispatcher.close();
