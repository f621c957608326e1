// The viewer's page and its assets from dist/web/ (built by Vite from web/): content types by extension, hashed
// assets cached for a year, index.html never cached, any other path without an extension answered with
// index.html (the page routes itself). Paths are resolved inside the folder only. Without a built page: 404
// saying so, while the JSON API keeps working.
import { createReadStream, existsSync, statSync } from 'node:fs';
import type http from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SECURITY_HEADERS, sendPage } from './respond.js';

/** dist/web beside dist/src (this file is dist/src/web/static.js once built). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Vite names built assets `name-<hash>.ext` under assets/: their content never changes under that name. */
const HASHED = /^\/assets\/.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/** The page may load only its own files: no CDN, no external fonts, nothing fetched from elsewhere. */
const PAGE_CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, pathname: string, root: string): void {
  const index = join(root, 'index.html');
  if (!existsSync(index)) {
    sendPage(res, 404, 'The viewer page is not built', `${index} is missing: build it with npm run build (the JSON API under /api/ works without it).`);
    return;
  }
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    sendPage(res, 400, 'Bad path', 'The path is not valid percent-encoding.');
    return;
  }
  const file = normalize(join(root, rel));
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep) && file !== root) {
    sendPage(res, 404, 'Not found', pathname);
    return;
  }
  let target = file;
  const isFile = (f: string) => {
    try {
      return statSync(f).isFile();
    } catch {
      return false;
    }
  };
  if (!isFile(target)) {
    if (extname(rel) !== '' && rel !== '/') {
      sendPage(res, 404, 'Not found', pathname);
      return;
    }
    target = index;
  }
  const size = statSync(target).size;
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'content-type': TYPES[extname(target)] ?? 'application/octet-stream',
    'content-length': String(size),
    'cache-control': target === index ? 'no-cache' : HASHED.test(rel) ? 'private, max-age=31536000, immutable' : 'private, max-age=0, must-revalidate',
  };
  if (target === index) headers['content-security-policy'] = PAGE_CSP;
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(target).on('error', () => res.destroy()).pipe(res);
}
