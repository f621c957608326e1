// A real consumer reads the exported HAR: a page and its resources (HTML, CSS, gzip-compressed script, PNG, a JSON
// POST) are fetched through the forward capture point from a local server, exported with `ccproxy export har`, the
// server is stopped, and Chromium (Debian's, driven by playwright-core) loads the page from the HAR alone through
// Playwright's routeFromHAR: the script runs, posts, and shows the answer; the style applies; the image decodes.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { ProxyAgent, fetch } from 'undici';
import { runCli } from './helpers/cli.js';
import { assertValidHar } from './helpers/har-validate.js';
import { startCapture } from './helpers/proxy.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const POSTED = '{"q":"hello"}';
const PAGE: Record<string, { type: string; body: Buffer; gzip?: boolean }> = {
  '/': { type: 'text/html; charset=utf-8', body: Buffer.from('<!doctype html><html><head><link rel="stylesheet" href="/style.css"><script src="/app.js" defer></script></head><body><h1 id="title">Captured</h1><p id="out">waiting</p><img id="logo" src="/logo.png"></body></html>') },
  '/style.css': { type: 'text/css', body: Buffer.from('#title { color: rgb(255, 0, 0); }') },
  '/app.js': {
    type: 'application/javascript',
    gzip: true,
    body: Buffer.from(`fetch('/api/data', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(POSTED)} }).then((r) => r.json()).then((j) => { document.getElementById('out').textContent = j.answer; });`),
  },
  '/logo.png': { type: 'image/png', body: PNG },
};

test('Playwright routeFromHAR replays a page from the exported HAR in Chromium, with the origin server gone', { skip: existsSync(CHROMIUM) || process.env.CI === 'true' ? false : `no ${CHROMIUM} (apt-get install chromium; under CI=true this fails instead)` }, async () => {
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/api/data') {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        const q = JSON.parse(Buffer.concat(parts).toString()) as { q: string };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ answer: `answer to ${q.q}` }));
      });
      return;
    }
    const r = PAGE[req.url ?? ''];
    if (!r) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': r.type, ...(r.gzip ? { 'content-encoding': 'gzip' } : {}) }).end(r.gzip ? gzipSync(r.body) : r.body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cap = await startCapture(['--mode', 'forward']);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const agent = new ProxyAgent(cap.url);
    for (const path of Object.keys(PAGE)) {
      const res = await fetch(`${origin}${path}`, { dispatcher: agent });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    const api = await fetch(`${origin}/api/data`, { dispatcher: agent, method: 'POST', headers: { 'content-type': 'application/json' }, body: POSTED });
    assert.deepEqual(await api.json(), { answer: 'answer to hello' });
    await agent.close();
    assert.equal((await cap.rows(`url LIKE '${origin}/%'`, 5)).length, 5);
    server.close();

    const env = { CCPROXY_CONFIG_DIR: cap.dir, ...(cap.db.backend.kind === 'server' ? { CCPROXY_DATABASE_URL: cap.db.backend.url } : {}) };
    const file = join(cap.dir, 'page.har');
    const r = await runCli(['export', 'har', '-o', file], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote 5 entries/);
    const har = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8'));
    assertValidHar(har);

    const context = await browser.newContext();
    await context.routeFromHAR(file, { notFound: 'abort' });
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => document.getElementById('out')?.textContent !== 'waiting', undefined, { timeout: 10_000 });
    assert.equal(await page.textContent('#out'), 'answer to hello');
    assert.equal(await page.$eval('#title', (el) => getComputedStyle(el).color), 'rgb(255, 0, 0)');
    assert.equal(await page.$eval('#logo', (el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth), 1);
    await context.close();
  } finally {
    await browser.close();
    server.close();
    await cap.stop();
  }
});
