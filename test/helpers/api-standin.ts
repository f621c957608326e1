// The common part of the stand-in providers for the Responses/embeddings and Gemini APIs: an HTTP or HTTPS
// server (on 127.0.0.1 by default) that records each request (method, URL, headers, body) and leaves the answer to a subclass.
// Unknown paths echo what arrived, so pass-through tests can see exactly what the gateway sent on.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export abstract class ApiStandIn {
  readonly server: http.Server;
  readonly secure: boolean;
  port = 0;
  host = '127.0.0.1';
  seen: SeenRequest[] = [];

  constructor(tlsOptions?: { key: string; cert: string }) {
    this.secure = !!tlsOptions;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.receive(req, res);
    this.server = tlsOptions ? https.createServer(tlsOptions, handler) : http.createServer(handler);
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      this.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.alloc(0) });
      this.upgrade(req, socket, head);
    });
  }

  /** Listens on `host` (127.0.0.2 keeps it out of `ccproxy run`'s NO_PROXY for loopback). */
  async start(host = '127.0.0.1'): Promise<this> {
    this.host = host;
    await new Promise<void>((r) => this.server.listen(0, host, r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `${this.secure ? 'https' : 'http'}://${this.host}:${this.port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  /** The last request whose path (without query) ends with `suffix`. */
  last(suffix = ''): SeenRequest {
    const r = [...this.seen].reverse().find((s) => s.url.split('?')[0]!.endsWith(suffix));
    if (!r) throw new Error(`the stand-in saw no request ending in ${suffix}; it saw ${this.seen.map((s) => `${s.method} ${s.url}`).join(', ')}`);
    return r;
  }

  protected abstract answer(req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest, body: Record<string, unknown>): void | Promise<void>;

  /** No WebSocket here: 404, as a provider without one answers. */
  protected upgrade(_req: http.IncomingMessage, socket: Duplex, _head: Buffer): void {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 21\r\nConnection: close\r\n\r\n{"error":"not found"}');
  }

  private async receive(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const seen: SeenRequest = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) };
    this.seen.push(seen);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(seen.body.toString() || '{}');
    } catch {
      /* not JSON */
    }
    await this.answer(req, res, seen, body);
  }

  protected json(res: http.ServerResponse, status: number, value: unknown, headers: http.OutgoingHttpHeaders = {}) {
    const text = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  /** What arrived, for paths the stand-in does not implement (pass-through checks). */
  protected echo(res: http.ServerResponse, seen: SeenRequest) {
    this.json(res, 200, { echo: true, method: seen.method, url: seen.url, body: seen.body.toString() });
  }
}
