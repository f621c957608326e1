// The viewer served by a running ccproxy, end to end on both databases: `ccproxy ui --no-open` prints a link whose
// token is spent once for an http-only cookie; no token, a wrong one, a foreign Host or another local user gets
// nothing; a request through the proxy reaches an open page's live stream; each API route answers its documented
// shape; a bad filter is a 400 naming the column; a database that goes away is a 503, then the viewer recovers.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { runCli } from './helpers/cli.js';
import { SONNET, stackConfig, startProvider, status, stopAndCheck, type Provider, type Status } from './helpers/daemon.js';
import { createTempDatabase, serverSkip } from './helpers/pg.js';
import { Relay } from './helpers/relay.js';
import { firstUrl, get, openLive, signIn } from './helpers/viewer.js';

const exec = promisify(execFile);
const BASH = { name: 'Bash', description: 'Runs a shell command', input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } };
const isRoot = process.getuid?.() === 0;
const asOtherUser = !isRoot && process.env.CI !== 'true' ? 'needs root to run curl as nobody' : false;

for (const backend of ['server', 'embedded'] as const) {
  describe(`the viewer of a running ccproxy (${backend} database)`, { skip: backend === 'server' ? await serverSkip() : false }, () => {
    let provider: Provider;
    let cfg: ReturnType<typeof stackConfig>;
    let env: Record<string, string>;
    let s: Status;
    let db: Awaited<ReturnType<typeof createTempDatabase>> | null = null;
    let relay: Relay | null = null;
    let cookie: string;
    let base: string;
    const session = randomUUID();

    const ask = async (stream = false) => {
      const res = await fetch(`${s.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-claude-code-session-id': session, 'user-agent': 'claude-cli/9.9.9 (external, cli)' },
        body: JSON.stringify({ model: SONNET, max_tokens: 8, stream, system: 'You are a test agent.', tools: [BASH], messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(res.status, 200, await res.text());
    };
    const api = (path: string) => get(new URL(path, base).href, { cookie });
    /** Polls until `check` holds (rows arrive after the writer's batch). */
    const eventually = async <T>(fn: () => Promise<T>, check: (v: T) => boolean, what: string, seconds = 20): Promise<T> => {
      const deadline = Date.now() + seconds * 1000;
      for (;;) {
        const v = await fn();
        if (check(v)) return v;
        if (Date.now() > deadline) assert.fail(`${what}: ${JSON.stringify(v)}`);
        await sleep(100);
      }
    };

    before(async () => {
      provider = await startProvider();
      if (backend === 'server') {
        db = await createTempDatabase();
        relay = await Relay.before(db.url);
      }
      cfg = stackConfig(provider.url);
      env = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: provider.caPath, ...(db && relay ? { CCPROXY_DATABASE_URL: relay.url(db.url) } : {}) };
      const r = await runCli(['start', '--mitm', '--detach'], env);
      assert.equal(r.code, 0, r.stderr);
      s = (await status(env)).s;
    });
    after(async () => {
      await stopAndCheck(env, s?.pid);
      await provider?.close();
      await relay?.stop();
      await db?.drop();
      cfg?.remove();
    });

    test('ccproxy ui prints a link; its token is spent once for an http-only cookie, then the clean URL', async () => {
      const viewer = (s.components as Record<string, { url: string | null; port: number | null }>).viewer!;
      assert.match(viewer.url!, /^http:\/\/127\.0\.0\.1:\d+\/$/, 'status shows the viewer without a token');
      const r = await runCli(['ui', '--no-open'], env);
      assert.equal(r.code, 0, r.stderr);
      const link = firstUrl(r.stdout);
      assert.ok(link.startsWith(viewer.url!), `${link} is on ${viewer.url}`);
      assert.match(link, /\?token=[\w-]{40,}$/);
      const signed = await signIn(link);
      assert.equal(signed.answer.status, 303);
      assert.equal(signed.answer.headers.location, '/');
      const set = signed.answer.headers['set-cookie']![0]!;
      assert.match(set, /HttpOnly/);
      assert.match(set, /SameSite=Strict/);
      ({ cookie, base } = signed);
      const again = await get(link);
      assert.equal(again.status, 403, 'a link works once');
      assert.match(again.text, /This link has expired or was used already/);
      assert.equal(again.headers['set-cookie'], undefined);
      const health = await api('/api/health');
      assert.equal(health.status, 200);
      assert.deepEqual(health.json(), { ok: true, database: { up: true, backend } });
      const second = firstUrl((await runCli(['ui', '--no-open'], env)).stdout);
      assert.notEqual(second, link, 'each run gets a fresh token');
    });

    test('no token, a wrong one, a wrong cookie or a foreign Host: refused, with no data', async () => {
      const noCookie = await get(new URL('/api/sessions', base).href);
      assert.equal(noCookie.status, 401);
      assert.equal(noCookie.json().error.type, 'authentication_error');
      const page = await get(base);
      assert.equal(page.status, 401);
      assert.match(page.text, /ccproxy ui/);
      const wrong = await get(new URL('/api/sessions?token=not-a-token', base).href);
      assert.equal(wrong.status, 403);
      const badCookie = await get(new URL('/api/sessions', base).href, { cookie: `${cookie.split('=')[0]}=forged` });
      assert.equal(badCookie.status, 401);
      const port = new URL(base).port;
      for (const host of [`evil.example:${port}`, `127.0.0.1:${Number(port) + 1}`, 'localhost']) {
        const foreign = await get(new URL('/api/sessions', base).href, { cookie, host });
        assert.equal(foreign.status, 421, host);
        assert.doesNotMatch(foreign.text, /sessions"/);
      }
      assert.equal((await get(new URL('/api/sessions', base).href, { cookie, host: `localhost:${port}` })).status, 200, 'localhost:port is its own name');
    });

    test('another local user is refused, even with the cookie', { skip: asOtherUser }, async () => {
      const url = new URL('/api/sessions', base).href;
      const r = await exec('su', ['-s', '/bin/sh', 'nobody', '-c', `curl -sS -o - -w '\\n%{http_code}' -H 'cookie: ${cookie}' '${url}'`]);
      const code = Number(r.stdout.slice(r.stdout.lastIndexOf('\n') + 1));
      assert.equal(code, 403, r.stdout);
      assert.match(r.stdout, /ccproxy serves only its owner/);
    });

    test('live: a request through the proxy reaches an open page', async () => {
      const live = await openLive(base, cookie);
      try {
        await live.next((e) => e.event === 'hello');
        await live.next((e) => e.event === 'database' && e.data.up === true);
        await ask(true);
        const e = await live.next((e) => e.event === 'traces' && Array.isArray(e.data?.sessions) && e.data.sessions.includes(session));
        assert.ok(e.data.traces >= 1);
        assert.equal(typeof e.data.newest, 'number');
      } finally {
        live.close();
      }
    });

    test('the API: sessions, exchanges paired by their link, traces, one exchange, bodies, the pair, conversation, roles and diffs, HAR, quota', async () => {
      await ask(false);
      const sessions = await eventually(
        () => api('/api/sessions').then((a) => a.json()),
        (v) => {
          const x = v.sessions?.find((x: { session_id: string }) => x.session_id === session);
          // Rows arrive in the writer's batches: the client's and the provider's of one call, and their link, apart.
          return x?.llm_calls === 2 && x.traces === 4 && x.requests === 2;
        },
        'the session with its two calls, each at both ends',
      );
      const one = sessions.sessions.find((x: { session_id: string }) => x.session_id === session);
      assert.equal(one.requests, 2, 'two client requests');
      assert.equal(one.traces, 4, 'each seen at both ends');
      assert.equal(one.client, 'claude-cli/9.9.9 (external, cli)');
      assert.deepEqual(one.models, ['claude-upstream']);
      assert.deepEqual(Object.keys(one.tokens).sort(), ['cache_read', 'cache_write_1h', 'cache_write_5m', 'input', 'output', 'total']);
      assert.ok(one.tokens.output > 0);
      assert.equal(one.errors, 0);
      assert.ok(one.duration_ms >= 0);
      assert.ok('cost_usd' in one && 'cache_hit_rate' in one && 'first_time' in one && 'last_time' in one);
      assert.equal(sessions.next, null);

      // Each end's usage row comes after its trace (the usage stage runs once the response has gone out), and the
      // client's end finishes after the provider's: wait until both ends of both calls have theirs.
      const ex = await eventually(
        () => api(`/api/sessions/${session}/exchanges`).then((a) => a.json()),
        (v) => v.exchanges?.length === 2 && v.exchanges.every((e: { client: { requested_model: unknown }; provider: { requested_model: unknown }[] }) => e.client.requested_model !== null && e.provider.every((p) => p.requested_model !== null)),
        'both exchanges with their usage at both ends',
      );
      assert.equal(ex.exchanges.length, 2);
      for (const e of ex.exchanges) {
        assert.equal(e.client.direction, 'reverse');
        assert.equal(e.provider.length, 1, 'one provider call per client request');
        assert.equal(e.provider[0].direction, 'forward');
        assert.equal(e.client.requested_model, SONNET);
        assert.equal(e.provider[0].requested_model, 'claude-upstream');
        assert.deepEqual(e.flags, ['model_rewritten']);
        assert.equal('request_body' in e.client, false, 'no bodies in the list');
      }
      assert.ok(ex.exchanges[0].client.flags.includes('streamed'));
      const paged = (await api(`/api/sessions/${session}/exchanges?limit=1`)).json();
      assert.equal(paged.exchanges.length, 1);
      const rest = (await api(`/api/sessions/${session}/exchanges?limit=1&after=${paged.next}`)).json();
      assert.equal(rest.exchanges.length, 1);
      assert.notEqual(rest.exchanges[0].client.trace_id, paged.exchanges[0].client.trace_id);
      assert.equal(rest.next, null);

      const traces = (await api(`/api/traces?q=${encodeURIComponent(`~session ${session}`)}&limit=3`)).json();
      assert.equal(traces.traces.length, 3);
      assert.ok(traces.next);
      const older = (await api(`/api/traces?q=${encodeURIComponent(`~session ${session}`)}&limit=3&before=${traces.next}`)).json();
      assert.equal(older.traces.length, 1);
      assert.equal(older.next, null);
      const all = [...traces.traces, ...older.traces].map((t: { trace_id: string }) => t.trace_id);
      assert.equal(new Set(all).size, 4);

      const streamed = ex.exchanges[0].client.trace_id as string;
      const d = (await api(`/api/traces/${streamed}`)).json();
      assert.equal(d.trace_id, streamed);
      assert.equal(d.direction, 'reverse');
      assert.deepEqual(d.children, [ex.exchanges[0].provider[0].trace_id]);
      assert.equal(d.request.body.encoding, 'utf8');
      assert.equal(JSON.parse(d.request.body.text).model, SONNET);
      assert.equal(d.request.body.json, true);
      assert.equal(d.request.body.cut, false);
      assert.equal(d.response.status, 200);
      assert.equal(d.sse.events[0].event, 'message_start');
      assert.equal(d.sse.count, 7);
      assert.equal(d.message.text, 'Hello world');
      assert.equal(d.message.api, 'anthropic-messages');
      assert.ok(d.usage && Number(d.usage.output_tokens) > 0);
      assert.match(d.curl.command, /^curl /);
      assert.ok(d.timings.start && d.timings.duration_ms >= 0);
      const fwd = (await api(`/api/traces/${d.children[0]}`)).json();
      assert.equal(fwd.parent_trace_id, streamed);

      const body = await api(`/api/traces/${streamed}/body/request`);
      assert.equal(body.status, 200);
      assert.equal(JSON.parse(body.text).model, SONNET);
      assert.match(String(body.headers['content-security-policy']), /sandbox/);
      assert.equal((await api(`/api/traces/no-such-trace`)).status, 404);

      const har = await api(`/api/export/har?ids=${all.join(',')}`);
      assert.equal(har.status, 200);
      assert.match(String(har.headers['content-disposition']), /attachment; filename="ccproxy-.*\.har"/);
      assert.equal(har.json().log.entries.length, 4);
      const harByFilter = (await api(`/api/export/har?q=${encodeURIComponent(`~session ${session} & ~dir forward`)}`)).json();
      assert.equal(harByFilter.log.entries.length, 2);

      const pair = (await api(`/api/traces/${streamed}/pair`)).json();
      assert.equal(pair.pairs.length, 1);
      assert.deepEqual(pair.pairs[0].model, { before: SONNET, after: 'claude-upstream', changed: true });
      assert.equal(pair.pairs[0].linked, true);
      assert.equal((await api(`/api/traces/${d.children[0]}/pair`)).status, 400, 'a provider-side trace has no pair of its own');

      const conversation = (await api(`/api/sessions/${session}/conversation`)).json();
      assert.equal(conversation.capped, false);
      assert.ok(conversation.threads.length >= 1, JSON.stringify(conversation.notes));
      assert.ok(conversation.items.some((i: { kind: string; text: string }) => i.kind === 'user' && i.text === 'hi'), JSON.stringify(conversation));
      assert.ok(conversation.items.some((i: { kind: string; text: string }) => i.kind === 'assistant' && i.text === 'Hello from the stand-in'), JSON.stringify(conversation.items));
      const roles = (await api(`/api/sessions/${session}/roles`)).json();
      assert.deepEqual(roles.calls.map((c: { traceId: string }) => c.traceId).sort(), ex.exchanges.map((e: { client: { trace_id: string } }) => e.client.trace_id).sort());
      const diffs = (await api(`/api/sessions/${session}/diffs`)).json();
      assert.deepEqual(diffs.steps.map((x: { traceId: string }) => x.traceId).sort(), ex.exchanges.map((e: { client: { trace_id: string } }) => e.client.trace_id).sort());
      assert.equal(diffs.steps.find((x: { previousTraceId: string | null }) => x.previousTraceId !== null)?.previousTraceId, ex.exchanges[0].client.trace_id);
      assert.equal((await api(`/api/sessions/no-such-session/conversation`)).status, 404);
      assert.equal((await api(`/api/sessions/${session}/nonsense`)).status, 404);

      const quota = (await api('/api/quota')).json();
      assert.ok(Array.isArray(quota.points) && Array.isArray(quota.sessions));
      const share = quota.sessions.find((x: { session_id: string }) => x.session_id === session);
      assert.equal(share.calls, 2);
      assert.ok(share.share > 0 && share.share <= 1);
    });

    test('a large body: cut in the detail, whole behind its link', async () => {
      const big = 'y'.repeat(1024 * 1024);
      const res = await fetch(`${s.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-claude-code-session-id': `${session}-big` },
        body: JSON.stringify({ model: SONNET, max_tokens: 8, messages: [{ role: 'user', content: big }] }),
      });
      assert.equal(res.status, 200, await res.text());
      const ex = await eventually(() => api(`/api/sessions/${session}-big/exchanges`).then((a) => a.json()), (v) => v.exchanges?.[0]?.client?.status_code === 200, 'the big request', 60);
      const id = ex.exchanges[0].client.trace_id;
      const d = (await api(`/api/traces/${id}`)).json();
      assert.equal(d.request.body.cut, true);
      assert.ok(d.request.body.stored_bytes > 1024 * 1024);
      assert.equal(d.curl.command, null);
      const whole = await api(d.request.body.href);
      assert.equal(whole.status, 200);
      assert.equal(whole.body.length, d.request.body.stored_bytes);
      assert.equal(JSON.parse(whole.text).messages[0].content, big);
      const download = await api(`${d.request.body.href}?download=1`);
      assert.match(String(download.headers['content-disposition']), /^attachment; filename=".+-request\.json"$/);
    });

    test('a filter that does not parse: 400 with the message and the column', async () => {
      for (const path of ['/api/traces', '/api/sessions', '/api/export/har']) {
        const a = await api(`${path}?q=${encodeURIComponent('~c 200 & (')}`);
        assert.equal(a.status, 400, path);
        const e = a.json().error;
        assert.equal(e.type, 'invalid_filter');
        assert.match(e.message, /invalid filter at column/);
        assert.equal(typeof e.position, 'number');
      }
      const limit = await api('/api/traces?limit=0');
      assert.equal(limit.status, 400);
      assert.equal((await api('/api/traces?before=garbage')).status, 400);
      assert.equal((await api('/api/nothing-here')).status, 404);
    });

    test('the page: 404 saying it is not built, or the built page; never another origin', async () => {
      const page = await api('/');
      if (page.status === 404) assert.match(page.text, /not built/);
      else {
        assert.equal(page.status, 200);
        assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
      }
      const traversal = await api('/..%2F..%2Fpackage.json');
      assert.notEqual(traversal.status, 200);
    });

    test('the database goes away: 503 and a live event, then it comes back', { skip: backend === 'embedded' ? 'the embedded database lives in the daemon itself' : false }, async () => {
      const live = await openLive(base, cookie);
      try {
        await live.next((e) => e.event === 'hello');
        await relay!.stop();
        const down = await eventually(() => api('/api/sessions'), (a) => a.status === 503, 'a 503 while the database is away');
        assert.equal(down.json().error.type, 'database_unavailable');
        const health = await api('/api/health');
        assert.equal(health.status, 503);
        assert.equal(health.json().error.database.up, false);
        await live.next((e) => e.event === 'database' && e.data.up === false);
        await relay!.start();
        await eventually(() => api('/api/sessions'), (a) => a.status === 200, 'the sessions again once the database is back');
        await live.next((e) => e.event === 'database' && e.data.up === true && live.events.indexOf(e) > live.events.findIndex((x) => x.event === 'database' && x.data.up === false));
        const before = live.events.length;
        await ask(false);
        await live.next((e) => e.event === 'traces' && live.events.indexOf(e) >= before && e.data.sessions.includes(session));
      } finally {
        live.close();
      }
    });

    test('status shows the viewer; the state file records it', () => {
      const state = JSON.parse(readFileSync(join(cfg.dir, 'ccproxy.state.json'), 'utf8'));
      assert.equal(state.components.viewer.port, Number(new URL(base).port));
    });
  });
}
