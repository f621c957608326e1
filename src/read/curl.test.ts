// The curl commands are run: bash runs each against a local HTTP server, which must receive the stored request.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { newFlow, type Flow } from '../flow/flow.js';
import { flowToCurl, shellQuote } from './curl.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const received: Received[] = [];
const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (d: Buffer) => parts.push(d));
  req.on('end', () => {
    received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(parts) });
    res.end('ok');
  });
});
let base = '';

before(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

function request(method: string, path: string, headers: Record<string, unknown>, body: Buffer | null): Flow {
  const f = newFlow('c-1', 'reverse');
  f.request = { method, url: `${base}${path}`, originalUrl: null, host: base.slice(7), path, headers, body, bodySize: body?.length ?? 0, bodyTruncated: false, contentType: null };
  return f;
}

/** Runs the command in bash (no proxy from the environment) and returns what the server got. */
async function run(command: string): Promise<Received> {
  const before = received.length;
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  // sh: the commands are for any POSIX shell (dash here), not only bash.
  await promisify(execFile)('sh', ['-c', `${command} --silent --show-error --noproxy '*'`], { env });
  assert.equal(received.length, before + 1);
  return received[before]!;
}

test('shell quoting: bare words stay bare, the rest in single quotes', () => {
  assert.equal(shellQuote('https://a.example/x'), 'https://a.example/x');
  assert.equal(shellQuote('https://a.example/x?y=1&z'), "'https://a.example/x?y=1&z'");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
});

test('a JSON POST: headers as stored (wire-only ones left to curl), body in single quotes, method implied', async () => {
  const body = Buffer.from(`{"model":"claude-opus-4-8","messages":[{"role":"user","content":"it's \\"quoted\\" $HOME \`x\`\\nline"}]}`);
  const f = request('POST', '/v1/messages?beta=true', { host: 'example.com', 'content-type': 'application/json', 'content-length': '999', 'content-encoding': 'gzip', 'x-api-key': '[redacted len=108 sha256=1a2b3c4d]', 'anthropic-beta': ['a', 'b'] }, body);
  const { command, notes } = flowToCurl(f);
  assert.doesNotMatch(command, / -X /);
  assert.match(notes.join('\n'), /x-api-key header holds a fingerprint/);
  const got = await run(command);
  assert.equal(got.method, 'POST');
  assert.equal(got.url, '/v1/messages?beta=true');
  assert.deepEqual(got.body, body);
  assert.equal(got.headers['content-type'], 'application/json');
  assert.equal(got.headers['x-api-key'], '[redacted len=108 sha256=1a2b3c4d]');
  assert.equal(got.headers['anthropic-beta'], 'a, b');
  assert.equal(got.headers['content-encoding'], undefined);
  assert.equal(got.headers.host, base.slice(7));
});

test('text with control characters other than tab and line feed, and bytes that are not text, are piped in as base64', async () => {
  const ctl = Buffer.from('line1\r\nbell\x07 tab\t end');
  const c1 = flowToCurl(request('PUT', '/ctl', { 'content-type': 'text/plain' }, ctl));
  assert.match(c1.command, /^printf %s .* \| base64 -d \| curl -X PUT .*--data-binary @-/);
  assert.deepEqual((await run(c1.command)).body, ctl);
  const bin = Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 39, 92]);
  const c2 = flowToCurl(request('POST', '/bin', { 'content-type': 'application/octet-stream' }, bin));
  assert.match(c2.command, /^printf %s .* \| base64 -d \| curl .*--data-binary @-/);
  const got = await run(c2.command);
  assert.equal(got.method, 'POST');
  assert.deepEqual(got.body, bin);
});

test('GET, DELETE and HEAD without a body; a body that was not stored is said', async () => {
  assert.equal((await run(flowToCurl(request('GET', '/g', { accept: 'text/html', 'accept-encoding': 'gzip' }, null)).command)).method, 'GET');
  assert.equal((await run(flowToCurl(request('DELETE', '/d', {}, null)).command)).method, 'DELETE');
  const head = flowToCurl(request('HEAD', '/h', {}, null)).command;
  assert.match(head, /--head/);
  assert.equal((await run(head)).method, 'HEAD');
  const unstored = request('POST', '/p', {}, null);
  unstored.request.bodySize = 40;
  assert.match(flowToCurl(unstored).notes[0]!, /body of 40 bytes that was not stored/);
});
