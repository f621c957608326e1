// Benchmark upstream, run as its own process: answers POSTs with 1 KB of JSON over HTTP and HTTPS, and
// /sse with a first event at once, then one every 200 ms for 2 s; WebSocket upgrades on either get an echo of
// every message. Prints its ports as JSON on stdout.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const [key, cert] = [process.env.BENCH_TLS_KEY!, process.env.BENCH_TLS_CERT!];
const reply = Buffer.from(JSON.stringify({ id: 'msg_bench', type: 'message', content: [{ type: 'text', text: 'x'.repeat(900) }] }));

function handler(req: http.IncomingMessage, res: http.ServerResponse) {
  req.resume();
  req.on('end', () => {
    if (req.url === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let i = 0;
      const send = () => {
        res.write(`event: content_block_delta\ndata: {"i":${i}}\n\n`);
        if (++i >= 11) return res.end();
        setTimeout(send, 200);
      };
      send();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': reply.length });
    res.end(reply);
  });
}

const plain = http.createServer({ keepAliveTimeout: 60_000 }, handler);
const secure = https.createServer({ key, cert, keepAliveTimeout: 60_000 }, handler);
for (const server of [plain, secure]) {
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, binary) => ws.send(data, { binary }));
  });
}
await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
console.log(JSON.stringify({ http: (plain.address() as AddressInfo).port, https: (secure.address() as AddressInfo).port }));
