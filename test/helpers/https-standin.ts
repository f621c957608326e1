// An HTTPS server standing in for a provider in the client tests: its certificate comes from a CA of its own
// (not ccproxy's), it listens on 127.0.0.2 so that `ccproxy run`'s NO_PROXY (localhost, 127.0.0.1, ::1) does not
// exempt it, and it records every request and WebSocket upgrade it sees. What it answers is up to the API module
// that drives it (Anthropic, OpenAI Responses, Gemini); this file only owns the server, the CA and the record.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { loadOrCreateCA } from '../../src/proxy/tls/ca.js';
import { PROVIDER_HOST } from './daemon.js';
import { tempConfigDir } from './pg.js';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** True for a WebSocket upgrade request (the body is then empty). */
  upgrade: boolean;
}

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest) => void | Promise<void>;
export type UpgradeHandler = (req: http.IncomingMessage, socket: Socket, head: Buffer, seen: SeenRequest) => void;

export interface HttpsStandIn {
  url: string;
  host: string;
  port: number;
  /** The stand-in's CA certificate: the daemon trusts it through NODE_EXTRA_CA_CERTS, as a corporate CA would be. */
  caPath: string;
  server: https.Server;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** Starts the server; `onRequest` gets each request with its body already read, `onUpgrade` each upgrade. */
export async function startHttpsStandIn(onRequest: RequestHandler, onUpgrade?: UpgradeHandler): Promise<HttpsStandIn> {
  const caDir = tempConfigDir();
  const ca = await loadOrCreateCA(caDir.dir);
  const seen: SeenRequest[] = [];
  const server = https.createServer(await ca.pemFor(PROVIDER_HOST), (req, res) => {
    const record: SeenRequest = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.alloc(0), upgrade: false };
    seen.push(record);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      record.body = Buffer.concat(chunks);
      Promise.resolve(onRequest(req, res, record)).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `stand-in failed: ${String(err)}` } }));
      });
    });
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const record: SeenRequest = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.alloc(0), upgrade: true };
    seen.push(record);
    if (onUpgrade) return onUpgrade(req, socket, head, record);
    socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
  });
  await new Promise<void>((r) => server.listen(0, PROVIDER_HOST, r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://${PROVIDER_HOST}:${port}`,
    host: PROVIDER_HOST,
    port,
    caPath: ca.certPath,
    server,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      caDir.remove();
    },
  };
}

/** Answers JSON with a content-length, plus any extra headers. */
export function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length, ...headers });
  res.end(body);
}

/** Parses a JSON request body; an empty or broken body reads as {}. */
export function jsonBody(seen: SeenRequest): Record<string, any> {
  try {
    const v = JSON.parse(seen.body.toString('utf8') || '{}');
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}
