// Redaction: what clients really send (headers, query parameters, JSON, form and SSE bodies) keeps only a
// fingerprint, while LLM content that uses the same words (logprob tokens, thinking signatures) stays byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactJsonBytes, redactSseBytes } from './redact-json.js';
import { fingerprint, redactForm, redactLogLine, redactQuery, storedHeaders } from './redact.js';
import { credentialShaped, fieldClass, normalise } from './secret-names.js';

const json = (text: string) => redactJsonBytes(Buffer.from(text))?.toString() ?? null;
const sse = (text: string) => redactSseBytes(Buffer.from(text))?.toString() ?? null;
const q = (s: string) => encodeURIComponent(fingerprint(s));

test('fingerprints: same key, same mark; different keys, different marks', () => {
  assert.match(fingerprint('sk-ant-api03-key'), /^\[redacted len=16 sha256=[0-9a-f]{8}\]$/);
  assert.equal(fingerprint('key-a'), fingerprint('key-a'));
  assert.notEqual(fingerprint('key-a'), fingerprint('key-b'));
});

test('headers: the maintained list, in requests and responses, plus redact_headers', () => {
  const sent: Record<string, string | string[]> = {
    Authorization: 'Bearer sk-ant-oat01-secret',
    'proxy-authorization': 'Basic dXNlcjpwYXNz',
    'x-api-key': 'sk-ant-api03-key',
    cookie: 'sid=1',
    'set-cookie': ['a=1', 'b=2'],
    'x-goog-api-key': 'AIzaSyA-gemini',
    'api-key': 'azure-key',
    'anthropic-api-key': 'sk-ant-x',
    'x-amz-security-token': 'IQoJb3JpZ2lu',
    'x-auth-token': 'auth-t',
    'x-csrf-token': 'csrf-t',
    'x-xsrf-token': 'xsrf-t',
    'x-litellm-api-key': 'sk-master',
    'x-github-token': 'ghp_x',
    'x-client-secret': 'cs',
    'x-custom-token': 't',
    'x-house-credential': 'mine',
  };
  const h = storedHeaders({ ...sent, accept: '*/*', 'x-claude-code-session-id': 'sess', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'idempotency-key': 'idem-1', 'anthropic-ratelimit-tokens-remaining': '1000' }, true, ['X-House-Credential']);
  assert.equal(h.Authorization, `Bearer ${fingerprint('sk-ant-oat01-secret')}`, 'the scheme is kept');
  assert.equal(h['proxy-authorization'], `Basic ${fingerprint('dXNlcjpwYXNz')}`);
  assert.deepEqual(h['set-cookie'], [fingerprint('a=1'), fingerprint('b=2')]);
  for (const [k, v] of Object.entries(sent)) {
    if (k === 'Authorization' || k === 'proxy-authorization' || k === 'set-cookie') continue;
    assert.equal(h[k], fingerprint(v as string), k);
  }
  assert.equal(h.accept, '*/*');
  assert.equal(h['x-claude-code-session-id'], 'sess');
  assert.equal(h['sec-websocket-key'], 'dGhlIHNhbXBsZSBub25jZQ==', 'a handshake nonce, not a credential');
  assert.equal(h['idempotency-key'], 'idem-1');
  assert.equal(h['anthropic-ratelimit-tokens-remaining'], '1000');
  assert.deepEqual(storedHeaders(sent, false), sent, 'redact: false stores them as they came');
});

test('headers holding a URL or a WebSocket subprotocol key', () => {
  const h = storedHeaders({ location: 'http://localhost:54545/callback?code=ac_123&state=s1', referer: 'https://app.example/page?token=tok9', 'sec-websocket-protocol': 'realtime, openai-insecure-api-key.sk-proj-abc, openai-beta.realtime-v1' }, true);
  assert.equal(h.location, `http://localhost:54545/callback?code=${q('ac_123')}&state=s1`);
  assert.equal(h.referer, `https://app.example/page?token=${q('tok9')}`);
  assert.equal(h['sec-websocket-protocol'], `realtime, openai-insecure-api-key.${fingerprint('sk-proj-abc')}, openai-beta.realtime-v1`);
});

test('query parameters: in URLs and paths, any spelling; the rest of the URL byte for byte', () => {
  const names = ['key', 'api_key', 'apiKey', 'access_token', 'client_secret', 'token', 'sig', 'signature', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token', 'code', 'password', 'refresh_token', 'id_token'];
  for (const n of names) {
    const url = `https://h.example/p/a%20b?alt=sse&${n}=S3CRET%2Fv&x=1#frag`;
    assert.equal(redactQuery(url), `https://h.example/p/a%20b?alt=sse&${n}=${q('S3CRET/v')}&x=1#frag`, n);
  }
  assert.equal(redactQuery('/v1/messages?beta=true'), '/v1/messages?beta=true');
  assert.equal(redactQuery('/no-query'), '/no-query');
  assert.equal(redactQuery('/cb?token=&state=x'), '/cb?token=&state=x', 'an empty value stays empty');
  assert.equal(redactQuery('/bad?token=%E0%A4%A&x'), `/bad?token=${q('%E0%A4%A')}&x`, 'a malformed escape is redacted as it came');
  assert.equal(redactQuery('https://user:p%40ss@h.example/x'), `https://user:${q('p@ss')}@h.example/x`, 'a password in the user info');
});

test('JSON fields: unambiguous names always, in any style, nested, in requests and responses', () => {
  const body = { apiKey: 'sk-proj-1', 'api-key': 'k2', API_KEY: 'k3', api_key: 'k4', nested: [{ password: 'hunter2', private_key: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n', secret: 's', client_secret: 'cs', passwd: 'p', x_api_key: 'xk' }], access_token: 'at', refresh_token: 'rt', id_token: 'it', session_token: 'st', auth_token: 'au', 'x-api-key': 'xak', OPENAI_API_KEY: 'ok', keep: 'visible' };
  const out = JSON.parse(json(JSON.stringify(body))!);
  assert.equal(out.apiKey, fingerprint('sk-proj-1'));
  assert.equal(out['api-key'], fingerprint('k2'));
  assert.equal(out.API_KEY, fingerprint('k3'));
  assert.equal(out.api_key, fingerprint('k4'));
  for (const [k, v] of Object.entries(body.nested[0]!)) assert.equal(out.nested[0][k], fingerprint(v), k);
  for (const k of ['access_token', 'refresh_token', 'id_token', 'session_token', 'auth_token', 'x-api-key', 'OPENAI_API_KEY'] as const) assert.equal(out[k], fingerprint(body[k]), k);
  assert.equal(out.keep, 'visible');
  assert.equal(json('{"model":"x","max_tokens":5}'), null, 'nothing to redact: null');
  const realtime = '{"id":"sess_1","client_secret":{"value":"ek_68a1","expires_at":1756000000},"model":"gpt-realtime"}';
  assert.equal(json(realtime), `{"id":"sess_1","client_secret":{"value":"${fingerprint('ek_68a1')}","expires_at":1756000000},"model":"gpt-realtime"}`, 'the value of an object under a secret name');
  const tool = '{"tools":[{"name":"login","input_schema":{"type":"object","properties":{"password":{"type":"string","description":"the password"},"api_key":{"type":"string"},"token":{"type":"string"}},"required":["password"]}}]}';
  assert.equal(json(tool), null, 'a tool schema naming secret parameters stays');
});

test('JSON: only the secret values change, every other byte stays (spacing, escapes, numbers, other encodings)', () => {
  const text = '{ "model" : "m",\n  "password":"p\\u00e9ss", "n": 1.0e3, "big": 12345678901234567890, "t": "caf\u00e9 \\ud83d\\ude00" }';
  assert.equal(json(text), text.replace('"p\\u00e9ss"', `"${fingerprint('péss')}"`));
  const bytes = Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","secret":"s1"}')]);
  const out = redactJsonBytes(bytes)!;
  assert.deepEqual(out.subarray(0, 11), bytes.subarray(0, 11), 'bytes that are not UTF-8 survive');
  assert.match(out.toString('latin1'), /"secret":"\[redacted len=2 /);
  assert.equal(JSON.parse(json('{"p\\u0061ssword":"x"}')!)['password'], fingerprint('x'), 'a name spelt with escapes');
  assert.equal(json('{"authorization":"Bearer tok-1"}'), `{"authorization":"Bearer ${fingerprint('tok-1')}"}`, 'the scheme is kept, as in headers');
});

test('JSON cut at the capture limit: fields read as far as the text goes', () => {
  const cut = json('{"access_token": "abc\\"def", "refresh_token":"partial-tok');
  assert.equal(cut, `{"access_token": "${fingerprint('abc"def')}", "refresh_token":"${fingerprint('partial-tok')}`);
  assert.equal(json('{"a":{"token":"ghp_0123456789abcdefABCDEF'), `{"a":{"token":"${fingerprint('ghp_0123456789abcdefABCDEF')}`);
  assert.equal(json('[{"api_key":"k1"},\n{"api_key":"k2"}]\n{"api_key":"k3"}'), `[{"api_key":"${fingerprint('k1')}"},\n{"api_key":"${fingerprint('k2')}"}]\n{"api_key":"${fingerprint('k3')}"}`, 'arrays and NDJSON');
});

test('ambiguous names (token, key, *token) only when the value has a credential shape', () => {
  const gh = 'ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R';
  const gemini = 'AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY';
  assert.equal(json(`{"token":"${gh}"}`), `{"token":"${fingerprint(gh)}"}`);
  assert.equal(json(`{"key":"${gemini}"}`), `{"key":"${fingerprint(gemini)}"}`);
  assert.equal(json(`{"githubToken":"${gh}","x-csrf-token":"${gh}"}`), `{"githubToken":"${fingerprint(gh)}","x-csrf-token":"${fingerprint(gh)}"}`);
  for (const keep of ['{"token":"Hello"}', '{"token":" world of tokens and more"}', '{"key":"CLAUDE_CODE_USE_BEDROCK","value":"1"}', '{"key":"ANTHROPIC_DEFAULT_SONNET_MODEL"}', '{"token":"================================"}', '{"eos_token":"</s>"}']) {
    assert.equal(json(keep), null, keep);
  }
  assert.ok(credentialShaped('sk-ant-api03-abcdef123456') && !credentialShaped('.DataGridViewTextBoxColumn') && !credentialShaped('short1'));
  assert.equal(normalise('X-Api_Key'), 'xapikey');
  assert.equal(fieldClass(normalise('prompt_cache_key')), null);
  assert.equal(fieldClass(normalise('signature')), null, 'secret as a query parameter only');
  assert.equal(fieldClass(normalise('thoughtSignature')), null);
});

test('OAuth: code and code_verifier in a token request; an error code stays', () => {
  const req = '{"grant_type":"authorization_code","code":"ac_x1","redirect_uri":"http://localhost:5555/callback","client_id":"9d1c250a","code_verifier":"v-1","state":"st"}';
  const out = JSON.parse(json(req)!);
  assert.equal(out.code, fingerprint('ac_x1'));
  assert.equal(out.code_verifier, fingerprint('v-1'));
  assert.equal(out.client_id, '9d1c250a');
  assert.equal(json('{"type":"error","error":{"code":"invalid_request_error_0123456789","message":"token expired"}}'), null);
  assert.equal(JSON.parse(json('{"code":"ac_x2","grant_type":"authorization_code"}')!).code, fingerprint('ac_x2'), 'whatever the order');
});

// Real-shaped LLM content whose field names are also secret words: never touched.
const OPENAI_LOGPROBS = JSON.stringify({
  id: 'chatcmpl-AZxq9Sx0',
  object: 'chat.completion',
  created: 1732780000,
  model: 'gpt-4o-2024-08-06',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: '--------------------------------.DataGridViewTextBoxColumn', refusal: null },
      logprobs: {
        content: [
          { token: '--------------------------------', logprob: -0.0012, bytes: [45, 45, 45, 45], top_logprobs: [{ token: '--------------------------------', logprob: -0.0012, bytes: [45] }, { token: 'abc123def456ghi789jkl', logprob: -7.2, bytes: [97] }] },
          { token: '.DataGridViewTextBoxColumn', logprob: -0.3, bytes: [46], top_logprobs: [{ token: 'x0Y1z2W3v4U5t6S7r8', logprob: -2.5, bytes: [120] }] },
        ],
        refusal: null,
      },
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
  key: 'placeholder',
});
const ANTHROPIC_THINKING = JSON.stringify({
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  type: 'message',
  role: 'assistant',
  content: [
    { type: 'thinking', thinking: 'The user asks for a token; the api_key is not needed.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxORUzSRh7AelgzQ/0iMPUFmRbAqCXuHeGpgEAN4J1SXvYBCwYt5p2Dm1LzXRO8GFe0R9TDWlZmW2h9Fc' },
    { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB8URj2pLmN' },
    { type: 'text', text: 'Here is how to set "api_key": use an environment variable.' },
  ],
  usage: { input_tokens: 12, output_tokens: 40, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
});
const GEMINI = JSON.stringify({
  candidates: [
    {
      content: { parts: [{ text: 'Thinking...', thought: true, thoughtSignature: 'CiQB0e2Kb7Zq3xW1c0W8FZ0yH7tYg4l3Ndf9qCmP2kHt0x9Bm2AKYwHR3d' }, { text: 'Answer' }], role: 'model' },
      logprobsResult: { topCandidates: [{ candidates: [{ token: 'Answer', tokenId: 16298, logProbability: -0.01 }, { token: 'q9W8e7R6t5Y4u3I2o1P0', tokenId: 7, logProbability: -9.5 }] }], chosenCandidates: [{ token: 'a1b2c3d4e5f6g7h8i9j0', tokenId: 8, logProbability: -0.2 }] },
    },
  ],
  usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 1, thoughtsTokenCount: 20 },
});
const OPENAI_REQUEST = JSON.stringify({ model: 'gpt-5', prompt_cache_key: 'user-1234567890abcdef-session-42', safety_identifier: 'hash-0123456789abcdef01', input: [{ type: 'reasoning', encrypted_content: 'gAAAAABo1xYz0123456789abcdefABCDEF-_==' }], logprobs: true, top_logprobs: 2 });

test('LLM content is never touched: logprob tokens, thinking signatures, thoughtSignature, cache keys', () => {
  for (const [name, body] of Object.entries({ OPENAI_LOGPROBS, ANTHROPIC_THINKING, GEMINI, OPENAI_REQUEST })) {
    assert.equal(json(body), null, name);
  }
  const stream = [
    `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'a1b2c3d4e5f6g7h8i9j0' }, logprobs: { content: [{ token: 'a1b2c3d4e5f6g7h8i9j0', logprob: -0.1, bytes: [97], top_logprobs: [{ token: 'a1b2c3d4e5f6g7h8i9j0', logprob: -0.1, bytes: [97] }] }] } }] })}`,
    '',
    'event: content_block_delta',
    `data: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxORUzSRh7AelgzQ/0iMPUFmRbAqCXuHeGpgEAN4J1SXvYBCwYt5p2Dm1LzXRO8GFe0R9TDWlZmW2h9Fc' } })}`,
    '',
    `data: ${GEMINI}`,
    '',
    'data: [DONE]',
    '',
  ].join('\n');
  assert.equal(sse(stream), null);
});

test('SSE: every JSON data line redacted; framing, comments and other lines byte for byte', () => {
  const stream = 'event: session\r\ndata: {"access_token":"a1","api_key":"k1", "n":1}\r\n\r\n: a comment "api_key":"c1"\ndata: not json "api_key":"t1"\ndata:{"session_token":"s1"}\rdata: [DONE]\n\n';
  assert.equal(sse(stream), `event: session\r\ndata: {"access_token":"${fingerprint('a1')}","api_key":"${fingerprint('k1')}", "n":1}\r\n\r\n: a comment "api_key":"c1"\ndata: not json "api_key":"t1"\ndata:{"session_token":"${fingerprint('s1')}"}\rdata: [DONE]\n\n`);
  assert.equal(sse('event: ping\ndata: {}\n\n'), null);
});

test('form bodies: the same fields, encoded as forms are', () => {
  const gh = 'ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R';
  const form = `grant_type=authorization_code&code=ac%2F1&code_verifier=v&password=p+w&token=${gh}&client_secret=cs&state=x&scope=a+b`;
  assert.equal(redactForm(form), `grant_type=authorization_code&code=${q('ac/1').replace(/%20/g, '+')}&code_verifier=${q('v').replace(/%20/g, '+')}&password=${q('p w').replace(/%20/g, '+')}&token=${q(gh).replace(/%20/g, '+')}&client_secret=${q('cs').replace(/%20/g, '+')}&state=x&scope=a+b`);
  assert.equal(redactForm('grant_type=refresh_token&refresh_token=abc'), `grant_type=refresh_token&refresh_token=${q('abc').replace(/%20/g, '+')}`);
  assert.equal(redactForm('code=print%28%29&lang=py'), null, 'code outside an OAuth request stays');
  assert.equal(redactForm('q=hello'), null);
});

test('log lines: the query of every URL, bearer credentials', () => {
  const line = 'POST http://127.0.0.1:4000/v1/models?token=tok-1&apiKey=k-2&alt=sse (mapped from https://g.example/x?key=AIza3) → 200 3 ms';
  const out = redactLogLine(line);
  assert.doesNotMatch(out, /tok-1|k-2|AIza3/);
  assert.match(out, /alt=sse/);
  assert.equal(redactLogLine('WebSocket /v1/realtime?token=t9: the client connection failed'), `WebSocket /v1/realtime?token=${q('t9:')} the client connection failed`);
  const stored = redactQuery('/v1/x?token=tok-1');
  assert.equal(redactLogLine(`GET ${stored} → 200`), `GET ${stored} → 200`, 'a URL redacted before it is logged keeps its fingerprint');
  assert.equal(redactLogLine('sent Authorization: Bearer sk-ant-oat01-abcdef'), `sent Authorization: Bearer ${fingerprint('sk-ant-oat01-abcdef')}`);
  assert.equal(redactLogLine('listening on http://127.0.0.1:4000 (Basic auth off)'), 'listening on http://127.0.0.1:4000 (Basic auth off)');
});
