// The baseline proxy: a bare keep-alive Node passthrough (node:http, hop-by-hop headers stripped, no capture).
// Run as its own process with the upstream URL as argument; prints its port on stdout.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { endToEnd } from '../src/proxy/hop.js';

const upstream = new URL(process.argv[2]!);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const server = http.createServer({ noDelay: true }, (req, res) => {
  const up = http.request({ hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...endToEnd(req.headers), host: upstream.host }, agent }, (ures) => {
    res.writeHead(ures.statusCode!, endToEnd(ures.headers) as http.OutgoingHttpHeaders);
    res.flushHeaders();
    ures.pipe(res);
  });
  up.on('error', () => res.destroy());
  req.pipe(up);
});
server.listen(0, '127.0.0.1', () => console.log((server.address() as AddressInfo).port));
