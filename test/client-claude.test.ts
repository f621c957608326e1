// Claude Code, the real program from npm (pinned in test/clients), through `ccproxy run` on the config.yaml that
// `ccproxy install` writes, with only api_base edited to reach an HTTPS stand-in of the Messages API. No --model:
// Claude Code asks for its own default model, so this fails as soon as the template stops routing it. The stand-in
// asks for a Bash call, Claude Code runs it and sends the result, and the stand-in's final text quotes it; the
// test reads Claude Code's JSON result and the rows: each request at both ends, one session, the tool result stored.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startAnthropicStandIn, type AnthropicStandIn } from './helpers/anthropic-standin.js';
import { ensureClients, setApiBase, startClientStack, type ClientStack } from './helpers/clients.js';

/** Claude Code's documented switches for the calls it makes besides the API (bootstrap, telemetry, updates). */
export const CLAUDE_QUIET = { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1' };

let standIn: AnthropicStandIn;
let stack: ClientStack;
before(async () => {
  await ensureClients();
  standIn = await startAnthropicStandIn();
  stack = await startClientStack(standIn.caPath, (dir) => setApiBase(join(dir, 'config.yaml'), 'anthropic', standIn.url));
});
after(async () => {
  await stack?.cleanup();
  await standIn?.close();
});

test('Claude Code: a session with a Bash tool round trip, answered by the stand-in and recorded at both ends', async () => {
  const r = await stack.run(['claude', '-p', 'Run the marker command with Bash and tell me what it printed.', '--allowedTools', 'Bash', '--output-format', 'json'], {
    ANTHROPIC_API_KEY: 'sk-ant-api03-test-not-a-real-key',
    ...CLAUDE_QUIET,
  });
  assert.equal(r.code, 0, `claude exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const result = JSON.parse(r.stdout) as { is_error: boolean; result: string; session_id: string; num_turns: number };
  assert.equal(result.is_error, false, r.stdout);
  assert.equal(result.result, `${standIn.finalPrefix}${standIn.toolOutput}`, 'the final text quotes what Bash printed');
  assert.ok(result.num_turns >= 2, r.stdout);

  // The stand-in saw the tool call's round trip, for the client's own default model, routed under its own name.
  const seen = standIn.messages();
  assert.ok(seen.length >= 2, `the stand-in saw ${seen.length} message requests`);
  const bodies = seen.map((s) => JSON.parse(s.body.toString()) as { model: string; tools?: { name: string }[] });
  const agentModels = new Set(bodies.filter((b) => b.tools?.some((t) => t.name === 'Bash')).map((b) => b.model));
  assert.deepEqual([...agentModels], ['claude-opus-4-8'], 'the agent loop ran on Claude Code 2.1.197\'s default model');
  assert.ok(seen.some((s) => s.body.includes(standIn.toolOutput)), 'the tool result reached the provider');

  await stack.stopCleanly();
  const rows = await stack.sql<{ d: number; session_id: string | null; url: string; status_code: number | null; tool_result: boolean; tool_use: boolean }>(
    `SELECT proxy_direction AS d, session_id, url, status_code,
            position('"tool_result"' in convert_from(request_body, 'UTF8')) > 0
              AND position('${standIn.toolOutput}' in convert_from(request_body, 'UTF8')) > 0 AS tool_result,
            position('input_json_delta' in convert_from(response_body, 'UTF8')) > 0 AS tool_use
       FROM "CCProxy_HttpTraces" WHERE split_part(path, '?', 1) = '/v1/messages' ORDER BY start_time`,
  );
  const reverse = rows.filter((x) => x.d === 0);
  const forward = rows.filter((x) => x.d === 1 && x.url.startsWith(`${standIn.url}/`));
  assert.equal(reverse.length, seen.length, `every request the client sent is recorded where it came in: ${JSON.stringify(rows)}`);
  assert.equal(forward.length, seen.length, `every request the provider got is recorded where it went out: ${JSON.stringify(rows)}`);
  for (const x of [...reverse, ...forward]) assert.equal(x.status_code, 200, JSON.stringify(x));
  assert.deepEqual([...new Set([...reverse, ...forward].map((x) => x.session_id))], [result.session_id], 'one session id, Claude Code\'s own');
  assert.ok(reverse.some((x) => x.tool_result) && forward.some((x) => x.tool_result), 'the tool result is in a stored request body at both ends');
  assert.ok(forward.some((x) => x.tool_use), 'the streamed tool call is in a stored response body');
});
