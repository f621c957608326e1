// Who gets in, end to end through the daemon: another local user (curl run as `nobody`) is refused on the main,
// gateway, forward and control ports while the owner passes; general_settings.master_key lets others in and
// never reaches the provider; requests naming another Host or sent from another Origin are refused on every
// listener; and the gateway reads JSON only from a JSON content type.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { runCli } from './helpers/cli.js';
import { SONNET, stackConfig, startProvider, status, stopAndCheck, type Provider, type Status } from './helpers/daemon.js';

const exec = promisify(execFile);
const NOBODY_UID = 65534;
const isRoot = process.getuid?.() === 0;
/** Another user's requests need root to become that user; CI runs as root, so there this never skips. */
const asOtherUser = !isRoot && process.env.CI !== 'true' ? 'needs root to run curl as nobody' : false;

interface Answer {
  status: number;
  body: string;
}

/** curl's status and body; `user` runs it as that user through su. */
async function curl(args: string[], user?: string): Promise<Answer> {
  const full = ['-sS', '-o', '-', '-w', '\n%{http_code}', ...args];
  const r = user
    ? await exec('su', ['-s', '/bin/sh', user, '-c', ['curl', ...full].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')]).catch((e: { stdout: string }) => e)
    : await exec('curl', full).catch((e: { stdout: string }) => e);
  const out = r.stdout;
  const cut = out.lastIndexOf('\n');
  return { status: Number(out.slice(cut + 1)), body: out.slice(0, cut) };
}

const message = (model = SONNET) => JSON.stringify({ model, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
const post = (url: string, extra: string[] = []) => ['-X', 'POST', '-H', 'content-type: application/json', '--data-binary', message(), ...extra, url];

describe('access: the owner only, own names only (start --mitm)', () => {
  let provider: Provider;
  let cfg: ReturnType<typeof stackConfig>;
  let env: Record<string, string>;
  let s: Status;
  let control: number;

  before(async () => {
    provider = await startProvider();
    cfg = stackConfig(provider.url);
    env = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: provider.caPath };
    const r = await runCli(['start', '--mitm', '--detach'], env);
    assert.equal(r.code, 0, r.stderr);
    s = (await status(env)).s;
    control = (JSON.parse(readFileSync(join(cfg.dir, 'ccproxy.state.json'), 'utf8')) as { controlPort: number }).controlPort;
  });
  after(async () => {
    await stopAndCheck(env, s?.pid);
    await provider.close();
    cfg.remove();
  });

  test('the owner passes on the main and gateway ports', async () => {
    for (const url of [s.url!, s.components.gateway.url!]) {
      const a = await curl(post(`${url}/v1/messages`));
      assert.equal(a.status, 200, a.body);
    }
    const c = await curl([`http://127.0.0.1:${control}/ccproxy/status`]);
    assert.equal(c.status, 200, c.body);
  });

  test('another local user is refused on the main, gateway, forward and control ports', { skip: asOtherUser }, async () => {
    const before = provider.standIn.seen.length;
    const forward = s.components.forward.url!;
    const cases: [string, string[]][] = [
      ['main', post(`${s.url}/v1/messages`)],
      ['gateway', post(`${s.components.gateway.url}/v1/messages`)],
      ['forward, absolute-form', ['-x', forward, `${provider.url.replace('https', 'http')}/v1/messages`]],
      ['control', [`http://127.0.0.1:${control}/ccproxy/status`]],
    ];
    for (const [name, args] of cases) {
      const a = await curl(args, 'nobody');
      assert.equal(a.status, 403, `${name}: ${a.body}`);
      assert.match(a.body, new RegExp(`ccproxy serves only its owner \\(uid ${process.getuid!()}\\); this connection comes from uid ${NOBODY_UID}`), name);
      assert.equal(JSON.parse(a.body).error.type, 'forbidden');
    }
    // CONNECT: curl reports the proxy's answer to its tunnel request.
    const tunnel = await curl(['-v', '-x', forward, `${provider.url}/v1/messages`], 'nobody');
    assert.equal(tunnel.status, 0);
    const verbose = await exec('su', ['-s', '/bin/sh', 'nobody', '-c', `curl -sS -v -x '${forward}' '${provider.url}/' 2>&1 || true`]);
    assert.match(verbose.stdout, /< HTTP\/1\.1 403 Forbidden/);
    assert.equal(provider.standIn.seen.length, before, 'nothing reached the provider');
  });

  test('a Host that is not the listener’s own is refused (421) on every listener', async () => {
    const forward = s.components.forward.url!;
    for (const [name, url] of [
      ['main', `${s.url}/v1/messages`],
      ['gateway', `${s.components.gateway.url}/v1/messages`],
      ['control', `http://127.0.0.1:${control}/ccproxy/status`],
      ['forward, origin-form', `${forward}/v1/messages`],
    ] as const) {
      const a = await curl([...post(url, ['-H', 'Host: evil.example'])]);
      assert.equal(a.status, 421, `${name}: ${a.body}`);
      assert.match(JSON.parse(a.body).error.message, /Host "evil\.example" is not this ccproxy listener/);
    }
    // localhost with the port is one of the listener's names.
    const port = new URL(s.url!).port;
    assert.equal((await curl(post(`${s.url}/v1/messages`, ['-H', `Host: localhost:${port}`]))).status, 200);
    // The wrong port is another listener.
    assert.equal((await curl(post(`${s.url}/v1/messages`, ['-H', 'Host: 127.0.0.1:1']))).status, 421);
  });

  test('a browser request from another origin is refused; the listener’s own origin passes', async () => {
    const a = await curl(post(`${s.url}/v1/messages`, ['-H', 'Origin: http://evil.example']));
    assert.equal(a.status, 403, a.body);
    assert.match(JSON.parse(a.body).error.message, /Origin "http:\/\/evil\.example" may not use ccproxy/);
    const c = await curl(['-H', 'Origin: null', `http://127.0.0.1:${control}/ccproxy/status`]);
    assert.equal(c.status, 403, c.body);
    assert.equal((await curl(post(`${s.url}/v1/messages`, ['-H', `Origin: ${s.url}`]))).status, 200);
  });

  test('the gateway reads JSON only from a JSON content type', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const a = await curl(['-X', 'POST', '-H', `content-type: ${type}`, '--data-binary', message(), `${s.url}/v1/messages`]);
      assert.equal(a.status, 415, `${type}: ${a.body}`);
      assert.match(JSON.parse(a.body).error.message, /the gateway reads JSON only; send content-type: application\/json/);
    }
    // No content type at all, and a +json type, are read.
    assert.equal((await curl(['-X', 'POST', '-H', 'content-type:', '--data-binary', message(), `${s.url}/v1/messages`])).status, 200);
    assert.equal((await curl(['-X', 'POST', '-H', 'content-type: application/vnd.x+json; charset=utf-8', '--data-binary', message(), `${s.url}/v1/messages`])).status, 200);
  });
});

describe('access: general_settings.master_key (gateway on the main port)', () => {
  const KEY = 'sk-ccproxy-master-test-0123456789';
  let provider: Provider;
  let cfg: ReturnType<typeof stackConfig>;
  let env: Record<string, string>;
  let url: string;
  let pid: number | null;

  before(async () => {
    provider = await startProvider();
    cfg = stackConfig(provider.url, 'ccproxy:\n  port: 0\n');
    const file = join(cfg.dir, 'config.yaml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}general_settings:\n  master_key: os.environ/CCPROXY_TEST_MASTER_KEY\n`);
    env = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: provider.caPath, CCPROXY_TEST_MASTER_KEY: KEY };
    const r = await runCli(['start', '--detach'], env);
    assert.equal(r.code, 0, r.stderr);
    const st = (await status(env)).s;
    url = st.url!;
    pid = st.pid;
  });
  after(async () => {
    await stopAndCheck(env, pid);
    await provider.close();
    cfg.remove();
  });

  test('the owner passes without it; a wrong key is refused (401) naming the header', async () => {
    assert.equal((await curl(post(`${url}/v1/messages`))).status, 200);
    const a = await curl(post(`${url}/v1/messages`, ['-H', 'x-litellm-api-key: wrong']));
    assert.equal(a.status, 401, a.body);
    assert.match(a.body, /x-litellm-api-key: not the master key/);
  });

  test('another user needs it (401 naming the header), passes with it, and the key never reaches the provider', { skip: asOtherUser }, async () => {
    const a = await curl(post(`${url}/v1/messages`), 'nobody');
    assert.equal(a.status, 401, a.body);
    assert.match(a.body, /uid 65534.*send the master key \(general_settings\.master_key\) in the x-litellm-api-key header/);
    const n = provider.standIn.seen.length;
    const b = await curl(post(`${url}/v1/messages`, ['-H', `x-litellm-api-key: ${KEY}`]), 'nobody');
    assert.equal(b.status, 200, b.body);
    const c = await curl(post(`${url}/v1/messages`, ['-H', `Authorization: Bearer ${KEY}`]), 'nobody');
    assert.equal(c.status, 200, c.body);
    const seen = provider.standIn.seen.slice(n);
    assert.equal(seen.length, 2);
    for (const r of seen) {
      assert.equal(r.headers['x-litellm-api-key'], undefined);
      assert.ok(!JSON.stringify(r.headers).includes(KEY), 'the master key is not sent on');
    }
  });

  test('an unset os.environ/ master key stops the start with a message naming it', async () => {
    const other = stackConfig(provider.url, 'ccproxy:\n  port: 0\n');
    writeFileSync(join(other.dir, 'config.yaml'), readFileSync(join(cfg.dir, 'config.yaml')));
    try {
      // CCPROXY_DEBUG: an unexpected error (rather than the expected message) comes with its stack.
      const r = await runCli(['start', '--detach'], { ...env, CCPROXY_CONFIG_DIR: other.dir, CCPROXY_TEST_MASTER_KEY: '', CCPROXY_DEBUG: 'true' });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /config\.yaml:\d+: general_settings\.master_key: environment variable CCPROXY_TEST_MASTER_KEY is not set/);
    } finally {
      await stopAndCheck({ ...env, CCPROXY_CONFIG_DIR: other.dir });
      other.remove();
    }
  });
});
