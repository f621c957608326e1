// Redaction end to end, through both capture points (reverse, and forward with TLS interception): every secret a
// client really sends — headers, query parameters, JSON and form fields, SSE events, WebSocket messages, in
// requests and responses — is read back from the table and the debug log and found nowhere, while LLM content
// that uses the same words (logprob tokens, thinking signatures, thoughtSignature) is stored byte for byte.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { ProxyAgent, request as undiciRequest } from 'undici';
import { WebSocket, WebSocketServer } from 'ws';
import { fingerprint } from '../src/capture/redact.js';
import { loadOrCreateCA } from '../src/proxy/tls/ca.js';
import { startCapture, type RunningCapture } from './helpers/proxy.js';
import { tempConfigDir } from './helpers/pg.js';

/** Every secret carries this mark: finding it anywhere stored or logged is a leak. */
const MARK = 'Zk9Leak7';
let n = 0;
/** A fresh secret with a credential's shape (one word, letters and digits, long enough). */
const secret = (what: string) => `${what.replace(/[^A-Za-z0-9]/g, '')}${MARK}${String(++n).padStart(3, '0')}x4Q2`;

const REQUEST_HEADERS = ['authorization', 'proxy-authorization', 'x-api-key', 'cookie', 'x-goog-api-key', 'api-key', 'anthropic-api-key', 'x-amz-security-token', 'x-auth-token', 'x-csrf-token', 'x-xsrf-token', 'x-litellm-api-key'];
const RESPONSE_HEADERS = ['set-cookie', 'x-goog-api-key', 'api-key', 'anthropic-api-key', 'x-amz-security-token', 'x-auth-token', 'x-csrf-token'];
const QUERY_PARAMS = ['key', 'api_key', 'apiKey', 'access_token', 'client_secret', 'token', 'sig', 'signature', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token', 'code', 'password'];

/** LLM content whose names are also secret words; stored exactly as sent. */
const THINKING_SIGNATURE = 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxORUzSRh7AelgzQ/0iMPUFmRbAqCXuHeGpgEAN4J1SXvYBCwYt5p2Dm1LzXRO8GFe0R9TDWlZmW2h9Fc';
const THOUGHT_SIGNATURE = 'CiQB0e2Kb7Zq3xW1c0W8FZ0yH7tYg4l3Ndf9qCmP2kHt0x9Bm2AKYwHR3d';
const LOGPROBS = { content: [{ token: 'a1b2c3d4e5f6g7h8i9j0', logprob: -0.0012, bytes: [97, 49], top_logprobs: [{ token: 'a1b2c3d4e5f6g7h8i9j0', logprob: -0.0012, bytes: [97] }, { token: '--------------------------------', logprob: -7.25, bytes: [45] }] }], refusal: null };
const LLM_CONTENT = [JSON.stringify(LOGPROBS), `"signature":"${THINKING_SIGNATURE}"`, `"thoughtSignature":"${THOUGHT_SIGNATURE}"`, '"prompt_cache_key":"user-1234567890abcdef-session-42"'];

/** A JSON body with a secret in every field name clients use, nested, next to the LLM content. */
function jsonBody(side: string) {
  const s = (k: string) => secret(`${side}${k}`);
  const body = {
    model: 'claude-sonnet-4-5',
    prompt_cache_key: 'user-1234567890abcdef-session-42',
    apiKey: s('apiKey'),
    password: s('password'),
    settings: { private_key: s('private_key'), secret: s('secret'), token: s('token'), 'api-key': s('api-key'), API_KEY: s('API_KEY') },
    auth: [{ access_token: s('access_token'), refresh_token: s('refresh_token'), id_token: s('id_token'), client_secret: s('client_secret'), session_token: s('session_token') }],
    messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: 'Which token? The api_key is elsewhere.', signature: THINKING_SIGNATURE }] }],
    contents: [{ role: 'model', parts: [{ text: 'Thinking', thought: true, thoughtSignature: THOUGHT_SIGNATURE }] }],
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, logprobs: LOGPROBS }],
  };
  return JSON.stringify(body);
}

/** What the table must hold for a body: each secret replaced by its fingerprint, every other byte as sent. */
const redactedJson = (text: string) => text.replace(new RegExp(`"([A-Za-z0-9]*${MARK}\\d+x4Q2)"`, 'g'), (_m, v: string) => `"${fingerprint(v)}"`);

const sseBody = () =>
  [
    'event: session',
    `data: {"type":"session","access_token":"${secret('sseaccess')}","api_key":"${secret('sseapikey')}","session_token":"${secret('ssesession')}"}`,
    '',
    'event: content_block_delta',
    `data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"${THINKING_SIGNATURE}"}}`,
    '',
    `data: {"candidates":[{"content":{"parts":[{"text":"x","thoughtSignature":"${THOUGHT_SIGNATURE}"}]}}],"choices":[{"logprobs":${JSON.stringify(LOGPROBS)}}]}`,
    '',
    'data: [DONE]',
    '',
    '',
  ].join('\r\n');

interface Sent {
  /** Bodies as sent and as they must be stored. */
  bodies: Array<{ sent: string; stored: string }>;
}

/** The stand-in provider: answers with secrets in headers, JSON and SSE; echoes WebSocket messages. */
function handler(sent: Sent) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const headers: Record<string, string | string[]> = {};
      for (const h of RESPONSE_HEADERS) headers[h] = h === 'set-cookie' ? [`sid=${secret('cookie1')}; HttpOnly`, `csrf=${secret('cookie2')}`] : secret(`resp${h}`);
      headers.location = `http://localhost:5555/callback?code=${secret('respcode')}&state=kept`;
      if (req.url!.startsWith('/sse')) {
        const body = sseBody();
        sent.bodies.push({ sent: body, stored: redactedJson(body) });
        res.writeHead(200, { ...headers, 'content-type': 'text/event-stream' });
        res.end(body);
        return;
      }
      const body = jsonBody('resp');
      sent.bodies.push({ sent: body, stored: redactedJson(body) });
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      res.end(body);
    });
  };
}

async function provider(server: http.Server | https.Server) {
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, binary) => ws.send(data, { binary }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => (wss.close(), server.closeAllConnections(), server.close()) };
}

/** The secret request headers; `proxy-authorization` goes to a forward proxy on CONNECT instead (undici's rule). */
function secretHeaders(forward = false): Record<string, string> {
  const h: Record<string, string> = {};
  for (const name of REQUEST_HEADERS) if (!forward || name !== 'proxy-authorization') h[name] = name.endsWith('authorization') ? `Bearer ${secret(name)}` : secret(name);
  return h;
}

const secretQuery = () => QUERY_PARAMS.map((p) => `${p}=${secret(`q${p}`)}`).join('&');

function secretForm() {
  return `grant_type=authorization_code&code=${secret('formcode')}&code_verifier=${secret('formverifier')}&password=${secret('formpassword')}&token=${secret('formtoken')}&scope=user%3Ainference`;
}

/** One WebSocket JSON message each way: secrets beside LLM content. */
const wsMessage = () => JSON.stringify({ type: 'session.update', session: { api_key: secret('wsapikey'), client_secret: { value: secret('wsclientsecret') }, token: secret('wstoken') }, item: { signature: THINKING_SIGNATURE, thoughtSignature: THOUGHT_SIGNATURE, logprobs: LOGPROBS } });

/** Everything the capture stored, as one text: every column of every row and every WebSocket payload. */
async function everythingStored(cap: RunningCapture): Promise<{ text: string; bodies: string[]; payloads: string[] }> {
  const { rows } = await cap.db.pool.query('SELECT * FROM "CCProxy_HttpTraces"');
  const { rows: msgs } = await cap.db.pool.query('SELECT payload FROM "CCProxy_WebSocketMessages"');
  const bodies = rows.flatMap((r) => [r.request_body, r.response_body]).filter(Boolean).map((b: Buffer) => b.toString('utf8'));
  const payloads = msgs.map((m) => m.payload?.toString('utf8') ?? '');
  return { text: JSON.stringify(rows) + bodies.join('\n') + payloads.join('\n'), bodies, payloads };
}

/** Waits until the capture has written `n` completed rows and `m` WebSocket messages. */
async function settled(cap: RunningCapture, n: number, m: number) {
  await cap.rows('true', n);
  for (let i = 0; i < 200; i++) {
    const { rows } = await cap.db.pool.query('SELECT count(*)::int AS c FROM "CCProxy_WebSocketMessages"');
    if (rows[0].c >= m) return;
    await sleep(50);
  }
}

function checkNothingLeaked(where: string, stored: { text: string; bodies: string[]; payloads: string[] }, log: string, sent: Sent) {
  assert.ok(n > 40, 'secrets were made');
  const leak = (text: string) => {
    const i = text.indexOf(MARK);
    return i < 0 ? null : text.slice(Math.max(0, i - 120), i + 40);
  };
  assert.equal(leak(stored.text), null, `${where}: a secret reached the table`);
  assert.equal(leak(log), null, `${where}: a secret reached the debug log`);
  assert.match(log, / debug .*(GET|POST) /, `${where}: the debug log has the exchanges`);
  for (const { sent: body, stored: expected } of sent.bodies) assert.ok(stored.bodies.includes(expected), `${where}: a body stored byte for byte but its secrets:\n${expected.slice(0, 300)}`);
  for (const content of LLM_CONTENT) assert.ok(stored.bodies.some((b) => b.includes(content)), `${where}: ${content.slice(0, 40)} kept`);
}

const DEBUG = 'ccproxy:\n  mitm:\n    debug: true\n';

describe('redaction through the reverse capture', () => {
  const sent: Sent = { bodies: [] };
  let up: Awaited<ReturnType<typeof provider>>;
  let cap: RunningCapture;
  before(async () => {
    up = await provider(http.createServer(handler(sent)));
    cap = await startCapture(['--upstream', `http://127.0.0.1:${up.port}`], DEBUG);
  });
  after(async () => {
    assert.equal(await cap?.stop(), 0);
    up?.close();
  });

  test('headers, query, JSON, form, SSE and WebSocket secrets: none in the table or the log, LLM content intact', async () => {
    const base = `http://127.0.0.1:${cap.port}`;
    const json = jsonBody('req');
    sent.bodies.push({ sent: json, stored: redactedJson(json) });
    let res = await undiciRequest(`${base}/v1/messages?beta=true&${secretQuery()}`, { method: 'POST', headers: { ...secretHeaders(), 'content-type': 'application/json' }, body: json });
    assert.equal(res.statusCode, 200);
    await res.body.text();
    res = await undiciRequest(`${base}/oauth/token?${secretQuery()}`, { method: 'POST', headers: { ...secretHeaders(), 'content-type': 'application/x-www-form-urlencoded' }, body: secretForm() });
    await res.body.text();
    res = await undiciRequest(`${base}/sse?${secretQuery()}`, { headers: secretHeaders() });
    assert.match(await res.body.text(), new RegExp(MARK), 'the client gets the real stream');
    const ws = new WebSocket(`ws://127.0.0.1:${cap.port}/v1/realtime?${secretQuery()}`, { headers: secretHeaders() });
    await once(ws, 'open');
    const msg = wsMessage();
    ws.send(msg);
    const [echo] = await once(ws, 'message');
    assert.equal(String(echo), msg, 'the peer gets the real message');
    ws.close(1000);
    await once(ws, 'close');
    await settled(cap, 4, 3);
    const stored = await everythingStored(cap);
    assert.ok(stored.payloads.includes(redactedJson(msg)), 'the WebSocket message stored byte for byte but its secrets');
    checkNothingLeaked('reverse', stored, cap.stderr.join('\n'), sent);
    const form = stored.bodies.find((b) => b.startsWith('grant_type='))!;
    assert.match(form, /&scope=user%3Ainference$/, 'form fields that are not secret stay');
  });
});

describe('redaction through the forward capture (TLS interception)', () => {
  const caDir = tempConfigDir();
  const sent: Sent = { bodies: [] };
  let up: Awaited<ReturnType<typeof provider>>;
  let cap: RunningCapture & { dir: string };
  let ca: string;
  before(async () => {
    const providerCa = await loadOrCreateCA(caDir.dir);
    up = await provider(https.createServer(await providerCa.pemFor('localhost'), handler(sent)));
    cap = await startCapture(['--mode', 'forward'], DEBUG, { NODE_EXTRA_CA_CERTS: providerCa.certPath });
    ca = readFileSync(join(cap.dir, 'ccproxy-ca.pem'), 'utf8');
  });
  after(async () => {
    assert.equal(await cap?.stop(), 0);
    up?.close();
    caDir.remove();
  });

  test('headers, query, JSON, form, SSE and WebSocket secrets: none in the table or the log, LLM content intact', async () => {
    const dispatcher = new ProxyAgent({ uri: cap.url, requestTls: { ca }, token: `Bearer ${secret('proxyauth')}` });
    const base = `https://localhost:${up.port}`;
    const json = jsonBody('req');
    sent.bodies.push({ sent: json, stored: redactedJson(json) });
    let res = await undiciRequest(`${base}/v1/messages?${secretQuery()}`, { dispatcher, method: 'POST', headers: { ...secretHeaders(true), 'content-type': 'application/json' }, body: json });
    assert.equal(res.statusCode, 200);
    await res.body.text();
    res = await undiciRequest(`${base}/oauth/token?${secretQuery()}`, { dispatcher, method: 'POST', headers: { ...secretHeaders(true), 'content-type': 'application/x-www-form-urlencoded' }, body: secretForm() });
    await res.body.text();
    res = await undiciRequest(`${base}/sse?${secretQuery()}`, { dispatcher, headers: secretHeaders(true) });
    await res.body.text();
    await dispatcher.close();
    // wss:// through the proxy: CONNECT, TLS with ccproxy's CA, then the handshake.
    const tunnel = net.connect(cap.port, '127.0.0.1');
    tunnel.write(`CONNECT localhost:${up.port} HTTP/1.1\r\nHost: localhost:${up.port}\r\n\r\n`);
    const [reply] = await once(tunnel, 'data');
    assert.match(String(reply), /^HTTP\/1\.1 200/);
    const ws = new WebSocket(`wss://localhost:${up.port}/v1/realtime?${secretQuery()}`, { headers: secretHeaders(true), createConnection: () => tls.connect({ socket: tunnel, servername: 'localhost', ca }) });
    ws.on('error', () => {});
    await once(ws, 'open');
    const msg = wsMessage();
    ws.send(msg);
    const [echo] = await once(ws, 'message');
    assert.equal(String(echo), msg);
    ws.close(1000);
    await once(ws, 'close');
    await settled(cap, 4, 3);
    const stored = await everythingStored(cap);
    assert.ok(stored.payloads.includes(redactedJson(msg)), 'the WebSocket message stored byte for byte but its secrets');
    checkNothingLeaked('forward', stored, cap.stderr.join('\n'), sent);
  });
});
