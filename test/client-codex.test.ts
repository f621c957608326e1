// Codex CLI, the real program from npm (pinned in test/clients), through `ccproxy run`. Codex reads no base-URL
// variable and always calls api.openai.com, so ccproxy.yaml's `ccproxy.mitm.map_remote` sends it straight to an
// HTTPS stand-in of the Responses API. Twice: once the stand-in speaks the Responses WebSocket (Codex's first
// choice), and the conversation must be answered and recorded with its messages; once the stand-in refuses the
// upgrade with 404, so Codex falls back to HTTPS+SSE, again answered and recorded. Codex's other calls (its plugin
// catalogue on api.github.com and chatgpt.com) fail here and are tolerated.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ensureClients, setMitmSettings, startClientStack } from './helpers/clients.js';
import { providerCA } from './helpers/gateway.js';
import { OpenAIStandIn, RESPONSE_TEXT } from './helpers/openai-standin.js';
import { loadConfig } from '../src/config/load.js';
import { openDatabase } from '../src/store/database.js';
import type { Conversation } from '../src/view/conversation.js';
import { sessionViews } from '../src/web/session-views.js';

const PROMPT = 'Say hello to the stand-in.';
const OPENAI = 'https://api.openai.com';

before(ensureClients);

/** The stand-in's WebSocket upgrades (the base records them among its requests, without a body). */
const upgradesSeen = (s: OpenAIStandIn) => s.seen.filter((r) => r.headers.upgrade === 'websocket');

async function codexThrough(mode: 'websocket' | 'refuse-upgrade') {
  const ca = await providerCA();
  const standIn = new OpenAIStandIn(await ca.pemFor('127.0.0.1'));
  standIn.websocket = mode === 'websocket' ? 'accept' : 404;
  await standIn.start();
  const close = async () => {
    await standIn.close();
    ca.remove();
  };
  const stack = await startClientStack(ca.certPath, (dir) => setMitmSettings(join(dir, 'ccproxy.yaml'), { map_remote: [{ from: OPENAI, to: standIn.url }] }));
  const codexHome = join(stack.home, '.codex');
  mkdirSync(codexHome);
  try {
    const r = await stack.run(['codex', 'exec', '--skip-git-repo-check', PROMPT], { OPENAI_API_KEY: 'sk-proj-test-not-a-real-key', CODEX_HOME: codexHome });
    assert.equal(r.code, 0, `codex exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.ok(r.stdout.includes(RESPONSE_TEXT), `codex printed the stand-in's answer:\n${r.stdout}\n${r.stderr}`);
    await stack.stopCleanly();
    return { standIn, stack, close };
  } catch (err) {
    await stack.cleanup();
    await close();
    throw err;
  }
}

test('Codex CLI over the Responses WebSocket, mapped to a stand-in: answered, the upgrade and its messages recorded', async () => {
  const { standIn, stack, close } = await codexThrough('websocket');
  try {
    assert.ok(upgradesSeen(standIn).length >= 1, 'Codex spoke the WebSocket form');
    assert.ok(standIn.wsMessages.some((q) => q.type === 'response.create' && JSON.stringify(q.input).includes(PROMPT)), 'the prompt went over the WebSocket');
    assert.equal(standIn.seen.filter((s) => s.method === 'POST').length, 0, 'no HTTPS fallback was needed');

    const upgrades = await stack.sql<{ trace_id: string; status_code: number; url: string; original_url: string; end_time: string | null; error_message: string | null; session_id: string | null }>(
      `SELECT trace_id, status_code, url, original_url, end_time, error_message, session_id FROM "CCProxy_HttpTraces"
        WHERE proxy_direction = 1 AND split_part(path, '?', 1) = '/v1/responses' AND status_code = 101 ORDER BY start_time`,
    );
    assert.ok(upgrades.length >= 1, 'the upgrade is recorded');
    // Codex names its session in a session-id header: one id for the run.
    assert.equal(new Set(upgrades.map((u) => u.session_id)).size, 1, JSON.stringify(upgrades));
    assert.match(upgrades[0]!.session_id ?? '', /^[0-9a-f-]{36}$/);
    for (const u of upgrades) {
      assert.ok(u.url.startsWith(`${standIn.url}/v1/responses`) || u.url.startsWith(`wss://${standIn.host}:${standIn.port}/v1/responses`), `the row says where it really went: ${u.url}`);
      assert.ok(u.original_url.startsWith(`${OPENAI}/v1/responses`) || u.original_url.startsWith('wss://api.openai.com/v1/responses'), `and what Codex asked for: ${u.original_url}`);
      assert.notEqual(u.end_time, null, 'completed when the socket closed');
    }
    const messages = await stack.sql<{ trace_id: string; seq: number; direction: number; opcode: number; size: number; truncated: boolean; text: string | null }>(
      `SELECT trace_id, seq, direction, opcode, size, truncated, CASE WHEN opcode = 1 THEN convert_from(payload, 'UTF8') END AS text
         FROM "CCProxy_WebSocketMessages" WHERE trace_id IN (${upgrades.map((u) => `'${u.trace_id}'`).join(', ')}) ORDER BY trace_id, seq`,
    );
    const parse = (m: (typeof messages)[number]) => {
      try {
        return JSON.parse(m.text ?? '') as { type: string; input?: unknown; response?: { usage?: unknown } };
      } catch {
        assert.fail(`stored text message ${m.trace_id}#${m.seq} (direction ${m.direction}, ${m.size} bytes on the wire, truncated ${m.truncated}) is not the JSON that was sent: ${JSON.stringify(m.text?.slice(0, 200))} (${m.text?.length} chars)`);
      }
    };
    const sent = messages.filter((m) => m.direction === 0 && m.opcode === 1).map(parse);
    const received = messages.filter((m) => m.direction === 1 && m.opcode === 1).map(parse);
    assert.ok(sent.some((q) => q.type === 'response.create' && JSON.stringify(q.input).includes(PROMPT)), 'the request message is stored, decoded');
    assert.ok(received.some((e) => e.type === 'response.output_text.done' && JSON.stringify(e).includes(RESPONSE_TEXT)), 'the answer is stored');
    assert.ok(received.some((e) => e.type === 'response.completed' && e.response?.usage), 'with its usage');
    // Each response.create is one LLM call: a usage row of its upgrade trace, numbered in the connection's order.
    const creates = messages.filter((m) => m.direction === 0 && m.opcode === 1 && parse(m).type === 'response.create');
    // The calls are read a turn after each connection's end, so they may follow its row by a batch.
    let calls: { trace_id: string; call_seq: number; api: string; output_tokens: number | null }[] = [];
    for (let i = 0; i < 40 && calls.length < creates.length; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 250));
      calls = await stack.sql<(typeof calls)[number]>(
        `SELECT trace_id, call_seq, api, output_tokens FROM "CCProxy_LlmCalls" WHERE trace_id IN (${upgrades.map((u) => `'${u.trace_id}'`).join(', ')}) ORDER BY trace_id, call_seq`,
      );
    }
    for (const u of upgrades) {
      const turns = creates.filter((m) => m.trace_id === u.trace_id).length;
      const own = calls.filter((c) => c.trace_id === u.trace_id);
      assert.deepEqual(own.map((c) => c.call_seq), [...Array(turns).keys()], `one usage row per turn of ${u.trace_id}`);
      assert.ok(own.every((c) => c.api === 'openai-responses'));
    }
    assert.ok(calls.some((c) => c.output_tokens !== null && c.output_tokens > 0), `the answered turn's tokens: ${JSON.stringify(calls)}`);
    for (const u of upgrades) {
      const own = messages.filter((m) => m.trace_id === u.trace_id);
      assert.deepEqual(own.map((m) => m.seq), own.map((_, i) => i), 'seq counts from 0 per connection');
      // Codex exits without a close frame: then the row says so instead of a last close message.
      assert.ok(own.at(-1)?.opcode === 8 || u.error_message, `the end is recorded: ${JSON.stringify(u)}`);
    }
    // The viewer's conversation is read from the connection's messages, turn by turn, as over HTTP+SSE.
    const db = await openDatabase(loadConfig({ ...process.env, ...stack.env, CCPROXY_CONFIG_DIR: stack.dir }), { transient: true });
    try {
      const conv = (await sessionViews().conversation!(db.pool, upgrades[0]!.session_id!, new URLSearchParams())) as Conversation;
      assert.equal(conv.api, 'openai-responses', JSON.stringify(conv.notes));
      assert.ok(conv.items.some((i) => i.kind === 'user' && i.text.includes(PROMPT)), JSON.stringify(conv.items.map((i) => i.kind)));
      assert.ok(conv.items.some((i) => i.kind === 'assistant' && i.text.includes(RESPONSE_TEXT)), JSON.stringify(conv.items.map((i) => i.kind)));
      const traces = new Set(conv.items.map((i) => i.traceId.replace(/~\d+$/, '')));
      assert.ok([...traces].every((t) => upgrades.some((u) => u.trace_id === t)), 'each item names its connection, with its turn');
    } finally {
      await db.close();
    }
  } finally {
    await stack.cleanup();
    await close();
  }
});

test('Codex CLI falls back to HTTPS+SSE when the upgrade is refused (404): answered and recorded', async () => {
  const { standIn, stack, close } = await codexThrough('refuse-upgrade');
  try {
    assert.ok(upgradesSeen(standIn).length >= 1, 'Codex tried the WebSocket first');
    const posts = standIn.seen.filter((s) => s.method === 'POST' && s.url === '/v1/responses');
    assert.ok(posts.length >= 1, 'then POSTed to /v1/responses');

    const rows = await stack.sql<{ method: string; status_code: number; url: string; original_url: string; asked: boolean; answered: boolean }>(
      `SELECT method, status_code, url, original_url,
              position('${PROMPT}' in convert_from(request_body, 'UTF8')) > 0 AS asked,
              position('${RESPONSE_TEXT}' in convert_from(response_body, 'UTF8')) > 0 AS answered
         FROM "CCProxy_HttpTraces" WHERE proxy_direction = 1 AND split_part(path, '?', 1) = '/v1/responses' ORDER BY start_time`,
    );
    const refused = rows.filter((x) => x.method === 'GET');
    const answered = rows.filter((x) => x.method === 'POST' && x.status_code === 200);
    assert.ok(refused.length >= 1 && refused.every((x) => x.status_code === 404), `the refused upgrades are recorded with their 404: ${JSON.stringify(rows)}`);
    assert.equal(answered.length, posts.length, `every POST is recorded: ${JSON.stringify(rows)}`);
    assert.ok(answered.every((x) => x.url === `${standIn.url}/v1/responses` && x.original_url === `${OPENAI}/v1/responses`), JSON.stringify(answered));
    assert.ok(answered.some((x) => x.asked && x.answered), 'the prompt and the streamed answer are in the stored bodies');
  } finally {
    await stack.cleanup();
    await close();
  }
});
