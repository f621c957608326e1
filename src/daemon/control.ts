// The running ccproxy's control endpoint: `GET /ccproxy/status` on a loopback port recorded in the state file,
// answering the live writer counters and the gateway's deployments cooling down, so `ccproxy status` shows what the writer is doing now (a state file
// rewritten every second would be up to a second old and would wear the disk for nothing). It carries no
// secrets and changes nothing, and it is separate from the main port so that it is never captured as traffic.
// Like every listener it serves only its owner and its own names (proxy/access.ts). It also hands `ccproxy ui` a
// fresh sign-in link to the viewer the process serves (POST /ccproxy/ui-link).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { guard } from '../proxy/access.js';
import type { Cooldown } from '../gateway/router/health.js';
import type { WriterCounters } from '../store/writer.js';

export interface LiveStatus {
  pid: number;
  uptimeSeconds: number;
  writer: WriterCounters | null;
  /** Deployments the gateway's router keeps out of its picks now, and until when. */
  cooldowns: Cooldown[];
}

/** How long `status` waits for a busy daemon before reporting the counters as unknown. */
const QUERY_TIMEOUT_MS = 2_000;

export async function startControl(live: () => LiveStatus, viewerLink: () => string | null = () => null): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/ccproxy/status') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(live()));
      return;
    }
    // A fresh sign-in link to the viewer, for `ccproxy ui`. POST: a page cannot make a browser send one here
    // without an Origin, which the guard refuses, and the link never sits in a URL a page could load.
    if (req.method === 'POST' && req.url === '/ccproxy/ui-link') {
      const url = viewerLink();
      res.writeHead(url ? 200 : 404, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(url ? { url } : { error: 'this ccproxy serves no viewer (it runs without capture: start it with --mitm)' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'GET /ccproxy/status and POST /ccproxy/ui-link are all this port serves' }));
  });
  guard(server, { masterKey: null });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A new viewer link from the running ccproxy, or null when it serves none or cannot be asked. */
export async function requestViewerLink(port: number): Promise<string | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/ccproxy/ui-link`, { method: 'POST', signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
    if (!res.ok) return null;
    return ((await res.json()) as { url?: string }).url ?? null;
  } catch {
    return null;
  }
}

export async function queryControl(port: number): Promise<LiveStatus | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/ccproxy/status`, { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
    if (!res.ok) return null;
    return (await res.json()) as LiveStatus;
  } catch {
    return null;
  }
}
