// Codex CLI, the real program from npm (pinned in test/clients), through `ccproxy run` with ccproxy.yaml's
// map_remote sending api.openai.com to ccproxy's own gateway (README's example), and the model it is asked for
// routed to an Anthropic deployment (an HTTPS stand-in of the Messages API): Codex speaks the Responses API over
// its WebSocket and the gateway answers on it from Anthropic's stream. Codex prints the stand-in's answer; the
// rows hold the Responses side where Codex called and the Messages side where the gateway called.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { startAnthropicStandIn } from './helpers/anthropic-standin.js';
import { ensureClients, setApiBase, setMitmSettings, startClientStack } from './helpers/clients.js';

const OPENAI = 'https://api.openai.com';
const ANSWER = 'Hello from the Anthropic stand-in';

before(ensureClients);

/** A port free now, for the entry that map_remote must name before ccproxy starts. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('Codex CLI → map_remote → the gateway → an Anthropic deployment: answered in the Responses API, recorded at both ends', async () => {
  const standIn = await startAnthropicStandIn();
  const port = await freePort();
  const gateway = `http://127.0.0.1:${port}`;
  const stack = await startClientStack(
    standIn.caPath,
    (dir) => {
      setApiBase(join(dir, 'config.yaml'), 'anthropic', standIn.url);
      setMitmSettings(join(dir, 'ccproxy.yaml'), { map_remote: [{ from: OPENAI, to: gateway }] });
    },
    port,
  );
  try {
    const codexHome = join(stack.home, '.codex');
    mkdirSync(codexHome);
    const r = await stack.run(['codex', 'exec', '--skip-git-repo-check', '-m', 'claude-sonnet-4-5', 'Say hello.'], { OPENAI_API_KEY: 'sk-proj-test-not-a-real-key', CODEX_HOME: codexHome });
    assert.equal(r.code, 0, `codex exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.ok(r.stdout.includes(ANSWER), `codex printed the stand-in's answer:\n${r.stdout}\n${r.stderr}`);

    const asked = standIn.messages().map((s) => JSON.parse(s.body.toString()));
    assert.ok(asked.length >= 1, 'the Anthropic stand-in was asked');
    const turn = asked.find((b) => JSON.stringify(b.messages).includes('Say hello.'))!;
    assert.ok(turn, 'with the prompt');
    assert.equal(turn.model, 'claude-sonnet-4-5');
    assert.equal(turn.stream, true);
    assert.equal(typeof turn.system, 'string', "Codex's instructions became the system prompt");
    assert.ok(turn.tools.length >= 1, "Codex's tools went along as Anthropic tools");
    await stack.stopCleanly();

    const rows = await stack.sql<{ d: number; method: string; path: string; status_code: number; original_url: string | null }>(
      `SELECT proxy_direction AS d, method, split_part(path, '?', 1) AS path, status_code, original_url FROM "CCProxy_HttpTraces"
        WHERE split_part(path, '?', 1) IN ('/v1/responses', '/v1/messages') ORDER BY start_time`,
    );
    const messages = rows.filter((x) => x.path === '/v1/messages' && x.d === 1 && x.status_code === 200);
    assert.ok(messages.length >= 1, `the gateway's Messages call is recorded where it went out: ${JSON.stringify(rows)}`);
    const responses = rows.filter((x) => x.path === '/v1/responses');
    assert.ok(responses.some((x) => x.original_url?.startsWith(OPENAI)), `Codex's Responses calls are recorded, mapped from api.openai.com: ${JSON.stringify(rows)}`);
    // Its first choice, the WebSocket, was taken: the gateway upgraded it and answered on it, no HTTPS fallback.
    assert.ok(responses.some((x) => x.method === 'GET' && x.status_code === 101), `the upgrade: ${JSON.stringify(rows)}`);
    assert.ok(!responses.some((x) => x.method === 'POST'), `no fallback to HTTPS: ${JSON.stringify(rows)}`);
  } finally {
    await stack.cleanup();
    await standIn.close();
  }
});
