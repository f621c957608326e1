// Codex CLI, the real program from npm (pinned in test/clients), through `ccproxy run` with ccproxy.yaml's
// map_remote sending api.openai.com to ccproxy's own gateway (README's example), and the model it is asked for
// routed to an Anthropic deployment (an HTTPS stand-in of the Messages API): Codex speaks the Responses API over
// its WebSocket and the gateway answers on it from Anthropic's stream. Codex prints the stand-in's answer; the
// rows hold the Responses side where Codex called and the Messages side where the gateway called.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { startAnthropicStandIn } from './helpers/anthropic-standin.js';
import { ensureClients, setApiBase, setMitmSettings, startClientStack } from './helpers/clients.js';
import { freePort } from './helpers/daemon.js';

const OPENAI = 'https://api.openai.com';
const ANSWER = 'Hello from the Anthropic stand-in';

before(ensureClients);


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
    // Recorded at its two ends, counted once: the hop through the reverse capture is not a row of its own, each
    // Messages call links to the upgrade Codex opened, and only the provider's end is billed.
    assert.ok(!rows.some((x) => x.d === 0), `no reverse row: the hop is relayed with its link: ${JSON.stringify(rows)}`);
    let usage: { trace_id: string; path: string; billed: boolean; client_trace_id: string | null; parent: string | null }[] = [];
    for (let i = 0; i < 40; i++) {
      usage = await stack.sql<(typeof usage)[number]>(
        `SELECT u.trace_id, split_part(t.path, '?', 1) AS path, u.billed, u.client_trace_id, x.parent_trace_id AS parent
           FROM "CCProxy_LlmUsage" u JOIN "CCProxy_HttpTraces" t ON t.trace_id = u.trace_id LEFT JOIN "CCProxy_TraceTimings" x ON x.trace_id = u.trace_id ORDER BY t.start_time`,
      );
      if (usage.some((u) => u.path === '/v1/responses') && usage.some((u) => u.path === '/v1/messages')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const upgradeIds = new Set(usage.filter((u) => u.path === '/v1/responses').map((u) => u.trace_id));
    const calls = usage.filter((u) => u.path === '/v1/messages');
    assert.ok(upgradeIds.size >= 1 && calls.length >= 1, JSON.stringify(usage));
    for (const c of calls) assert.ok(c.billed && c.parent !== null && upgradeIds.has(c.client_trace_id!), `a Messages call linked to Codex's upgrade, billed: ${JSON.stringify(usage)}`);
    const named = new Set(calls.map((c) => c.client_trace_id));
    for (const u of usage.filter((x) => x.path === '/v1/responses' && named.has(x.trace_id))) assert.equal(u.billed, false, `the client's end of a call counted at the provider's: ${JSON.stringify(usage)}`);
  } finally {
    await stack.cleanup();
    await standIn.close();
  }
});
