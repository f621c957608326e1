// `ccproxy ui` with no ccproxy running: it serves the viewer itself against the configured database (embedded or
// server) on --port until Ctrl-C, and another process writing that database — `ccproxy mitm start` — reaches its
// open pages live. A port in use or a bad --port is one message.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { runCli, startCli } from './helpers/cli.js';
import { freePort, startProvider, SONNET, type Provider } from './helpers/daemon.js';
import { BACKENDS } from './helpers/pg.js';
import { firstUrl, get, openLive, signIn } from './helpers/viewer.js';

/** The first line of a child's output that matches, or its exit as an error. */
async function lineMatching(child: ReturnType<typeof startCli>, re: RegExp, stderr: string[]): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  return Promise.race([
    new Promise<string>((resolve) => lines.on('line', (l) => re.test(l) && resolve(l))),
    once(child, 'exit').then(([code]) => {
      throw new Error(`exited ${code}: ${stderr.join('\n')}`);
    }),
  ]);
}

for (const backend of BACKENDS) {
  describe(`ccproxy ui serving the viewer itself (${backend.name})`, { skip: await backend.skip() }, () => {
    let env: Awaited<ReturnType<typeof backend.setup>>;
    let provider: Provider;
    before(async () => {
      env = await backend.setup();
      provider = await startProvider();
    });
    after(async () => {
      await provider?.close();
      await env?.cleanup();
    });

    test('serves on --port until Ctrl-C; traces another process writes reach an open page', async () => {
      const port = await freePort();
      const stderr: string[] = [];
      const ui = startCli(['ui', '--no-open', '--port', String(port)], env.env);
      createInterface({ input: ui.stderr! }).on('line', (l) => stderr.push(l));
      let mitm: ReturnType<typeof startCli> | null = null;
      try {
        const link = firstUrl(await lineMatching(ui, /^http:\/\//, stderr));
        assert.ok(link.startsWith(`http://127.0.0.1:${port}/?token=`), link);
        const { cookie, base, answer } = await signIn(link);
        assert.equal(answer.status, 303);
        const health = await get(new URL('/api/health', base).href, { cookie });
        assert.deepEqual(health.json(), { ok: true, database: { up: true, backend: backend.name } });
        const live = await openLive(base, cookie);
        try {
          await live.next((e) => e.event === 'database' && e.data.up === true);
          const mitmErr: string[] = [];
          mitm = startCli(['mitm', 'start', '--port', '0', '--upstream', provider.url], { ...env.env, NODE_EXTRA_CA_CERTS: provider.caPath });
          createInterface({ input: mitm.stderr! }).on('line', (l) => mitmErr.push(l));
          const listening = await lineMatching(mitm, /listening on/, mitmErr);
          const url = /listening on (http:\/\/\S+)/.exec(listening)![1]!.replace(/[,;]$/, '');
          const session = randomUUID();
          const res = await fetch(`${url}/v1/messages`, {
            method: 'POST',
            headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-claude-code-session-id': session },
            body: JSON.stringify({ model: SONNET, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
          });
          assert.equal(res.status, 200);
          const e = await live.next((e) => e.event === 'traces' && e.data?.sessions?.includes(session));
          assert.ok(e.data.ops >= 1);
          const sessions = (await get(new URL('/api/sessions', base).href, { cookie })).json();
          assert.equal(sessions.sessions[0].session_id, session);
        } finally {
          live.close();
        }
      } finally {
        if (mitm && mitm.exitCode === null) {
          mitm.kill('SIGINT');
          await once(mitm, 'exit');
        }
        if (ui.exitCode === null) ui.kill('SIGINT');
        const [code] = ui.exitCode === null ? await once(ui, 'exit') : [ui.exitCode];
        assert.equal(code, 0, stderr.join('\n'));
      }
    });

    test('the process holding the embedded database stops: the viewer says so, then holds it itself and goes on', { skip: backend.name !== 'embedded' ? 'a server has no holder' : false }, async () => {
      const serve = startCli(['db', 'serve'], env.env);
      const serveErr: string[] = [];
      createInterface({ input: serve.stderr! }).on('line', (l) => serveErr.push(l));
      await lineMatching(serve, /^postgresql:\/\//, serveErr);
      const stderr: string[] = [];
      const ui = startCli(['ui', '--no-open'], env.env);
      createInterface({ input: ui.stderr! }).on('line', (l) => stderr.push(l));
      try {
        const { cookie, base } = await signIn(firstUrl(await lineMatching(ui, /^http:\/\//, stderr)));
        const health = () => get(new URL('/api/health', base).href, { cookie });
        assert.equal((await health()).status, 200);
        const live = await openLive(base, cookie);
        try {
          await live.next((e) => e.event === 'database' && e.data.up === true);
          serve.kill('SIGTERM');
          await once(serve, 'exit');
          await live.next((e) => e.event === 'database' && e.data.up === false);
          let answer = await health();
          for (let i = 0; answer.status !== 200 && i < 300; i++) {
            assert.equal(answer.status, 503, answer.text);
            await sleep(100);
            answer = await health();
          }
          assert.equal(answer.status, 200, 'the viewer holds the database now');
          assert.equal((await get(new URL('/api/sessions', base).href, { cookie })).status, 200);
          const down = live.events.findIndex((e) => e.event === 'database' && e.data.up === false);
          await live.next((e) => e.event === 'database' && e.data.up === true && live.events.indexOf(e) > down, 30_000);
        } finally {
          live.close();
        }
      } finally {
        if (serve.exitCode === null) serve.kill('SIGTERM');
        if (ui.exitCode === null) ui.kill('SIGINT');
        const [code] = ui.exitCode === null ? await once(ui, 'exit') : [ui.exitCode];
        assert.equal(code, 0, stderr.join('\n'));
      }
    });

    test('a port in use, a bad --port, a bad ccproxy.ui.port: one message each', async () => {
      const blocker = net.createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
      const port = (blocker.address() as net.AddressInfo).port;
      try {
        const busy = await runCli(['ui', '--no-open', '--port', String(port)], env.env);
        assert.equal(busy.code, 1);
        assert.match(busy.stderr, new RegExp(`the viewer's port ${port} \\(--port\\) is in use`));
      } finally {
        blocker.close();
      }
      const bad = await runCli(['ui', '--port', 'eighty'], env.env);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--port takes a port number from 0 to 65535, not "eighty"/);
    });
  });
}

test('ccproxy.ui.port is checked like the other settings', async () => {
  const { tempConfigDir } = await import('./helpers/pg.js');
  const { writeFileSync } = await import('node:fs');
  const cfg = tempConfigDir();
  try {
    writeFileSync(`${cfg.dir}/ccproxy.yaml`, 'ccproxy:\n  ui:\n    port: 70000\n');
    const r = await runCli(['ui', '--no-open'], { CCPROXY_CONFIG_DIR: cfg.dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ccproxy\.yaml:3: ccproxy\.ui\.port: Too big: expected number to be <=65535/);
    writeFileSync(`${cfg.dir}/ccproxy.yaml`, 'ccproxy:\n  ui:\n    prot: 1\n');
    const typo = await runCli(['ui', '--no-open'], { CCPROXY_CONFIG_DIR: cfg.dir });
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /ccproxy\.yaml:3: ccproxy\.ui\.prot: unknown field/);
  } finally {
    cfg.remove();
  }
});
