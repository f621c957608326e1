// Claude Code, the real program from npm (pinned in test/clients), through `ccproxy run` on the config.yaml that
// `ccproxy install` writes, with its labels (`default`, `background`, `think`) pointed at a model of another format
// and `default_model_passthrough: false`, so its own claude-* models reach them: once an OpenAI chat-completions
// stand-in (hosted_vllm), once a Gemini stand-in, both HTTPS in their real wire formats. The stand-in asks for
// Bash, Claude Code runs it and sends the result, and the stand-in's final text quotes it; streaming all along.
// The rows hold each request at both ends: Anthropic's format where Claude Code called, the provider's where the
// gateway called.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isMap, isSeq, parseDocument } from 'yaml';
import { ensureClients, startClientStack, type ClientStack } from './helpers/clients.js';
import { providerCA } from './helpers/gateway.js';
import { ChatStandIn, GeminiToolStandIn } from './helpers/translate-standins.js';

const LABELS = ['default', 'background', 'think'];
/** Claude Code's documented switches for the calls it makes besides the API (as in client-claude.test.ts). */
const CLAUDE_QUIET = { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1' };

/** Points the labels' deployments of config.yaml at `params`, and turns default_model_passthrough off. */
function pointLabels(dir: string, params: Record<string, string>): void {
  const file = join(dir, 'config.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const list = doc.get('model_list');
  assert.ok(isSeq(list));
  let set = 0;
  for (const item of list.items) {
    if (!isMap(item) || !LABELS.includes(String(item.get('model_name')))) continue;
    item.set('litellm_params', doc.createNode(params));
    set++;
  }
  assert.equal(set, LABELS.length);
  writeFileSync(file, doc.toString());
  const ccproxy = join(dir, 'ccproxy.yaml');
  const text = readFileSync(ccproxy, 'utf8');
  assert.match(text, /default_model_passthrough: true/);
  writeFileSync(ccproxy, text.replace('default_model_passthrough: true', 'default_model_passthrough: false'));
}

for (const kind of ['OpenAI chat', 'Gemini'] as const) {
  describe(`Claude Code with its models routed to ${kind === 'Gemini' ? 'a Gemini' : 'an OpenAI chat-completions'} deployment`, () => {
    let ca: Awaited<ReturnType<typeof providerCA>>;
    let standIn: ChatStandIn | GeminiToolStandIn;
    let stack: ClientStack;
    before(async () => {
      await ensureClients();
      ca = await providerCA();
      const pem = await ca.pemFor('127.0.0.1');
      standIn = await (kind === 'Gemini' ? new GeminiToolStandIn(pem) : new ChatStandIn(pem)).start();
      const params = kind === 'Gemini' ? { model: 'gemini/gemini-2.5-flash', api_base: standIn.url, api_key: 'AIza-deployment' } : { model: 'hosted_vllm/qwen3-coder', api_base: `${standIn.url}/v1`, api_key: 'sk-local' };
      stack = await startClientStack(ca.certPath, (dir) => pointLabels(dir, params));
    });
    after(async () => {
      await stack?.cleanup();
      await standIn?.close();
      ca?.remove();
    });

    test('a streamed Bash round trip: the stand-in asks, Claude Code runs it, the stand-in quotes the result', async () => {
      const r = await stack.run(['claude', '-p', 'Run the command with Bash and tell me what it printed.', '--allowedTools', 'Bash', '--output-format', 'json'], {
        ANTHROPIC_API_KEY: 'sk-ant-api03-test-not-a-real-key',
        ...CLAUDE_QUIET,
      });
      assert.equal(r.code, 0, `claude exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      const result = JSON.parse(r.stdout) as { is_error: boolean; result: string; num_turns: number; session_id: string };
      assert.equal(result.is_error, false, r.stdout);
      assert.equal(result.result, 'The tool said: hi', 'the final text quotes what Bash printed');
      assert.ok(result.num_turns >= 2, r.stdout);

      const generate = kind === 'Gemini' ? /:streamGenerateContent\?alt=sse$/ : /\/chat\/completions$/;
      const calls = standIn.seen.filter((s) => generate.test(s.url));
      const bodies = calls.map((s) => JSON.parse(s.body.toString()));
      assert.ok(bodies.length >= 2, `the stand-in saw ${bodies.length} streamed requests`);
      if (kind === 'Gemini') {
        // In the request's contents, or in the part of them Gemini was asked to cache.
        const withCached = [...bodies, ...standIn.seen.filter((x) => x.url === '/v1beta/cachedContents').map((x) => JSON.parse(x.body.toString()))];
        assert.ok(withCached.some((b) => b.contents.some((c: any) => c.parts.some((p: any) => p.functionResponse?.name === 'Bash' && String(p.functionResponse.response.content).trim() === 'hi'))), 'the Bash result went back as a functionResponse');
      } else {
        assert.ok(bodies.every((b) => b.stream === true && b.stream_options?.include_usage === true));
        assert.ok(bodies.some((b) => b.messages.some((m: any) => m.role === 'tool' && m.tool_call_id === 'call_standin1' && String(m.content).trim() === 'hi')), 'the Bash result went back as a tool message');
        assert.ok(bodies.every((b) => !JSON.stringify(b.messages[0]).includes('x-anthropic-billing-header')), "Claude Code's billing header is not sent");
      }

      await stack.stopCleanly();
      const rows = await stack.sql<{ d: number; path: string; status_code: number; session_id: string | null; req: string; res: string }>(
        `SELECT proxy_direction AS d, split_part(path, '?', 1) AS path, status_code, session_id, convert_from(request_body, 'UTF8') AS req, convert_from(response_body, 'UTF8') AS res
           FROM "CCProxy_HttpTraces" WHERE split_part(path, '?', 1) IN ('/v1/messages', '/v1/chat/completions') OR path LIKE '/v1beta/models/%' ORDER BY start_time`,
      );
      const reverse = rows.filter((x) => x.d === 0 && x.path === '/v1/messages');
      const forward = rows.filter((x) => x.d === 1 && x.path !== '/v1/messages');
      assert.ok(reverse.length >= 2 && forward.length >= 2, JSON.stringify(rows.map((x) => [x.d, x.path, x.status_code])));
      for (const x of [...reverse, ...forward]) assert.equal(x.status_code, 200, `${x.d} ${x.path}`);
      assert.ok(reverse.some((x) => x.res.includes('"type":"tool_use"') && x.res.includes('input_json_delta')), "the reverse row: Anthropic's SSE with the tool call");
      assert.ok(reverse.some((x) => x.req.includes('"tool_result"')), 'and the tool result in Anthropic format');
      if (kind === 'Gemini') assert.ok(forward.some((x) => x.res.includes('"functionCall"')), "the forward row: Gemini's chunks");
      else assert.ok(forward.some((x) => x.res.includes('"chat.completion.chunk"') && x.res.includes('"tool_calls"')), "the forward row: the chat chunks");
      assert.ok(reverse.some((x) => x.session_id === result.session_id), "Claude Code's session id is on its rows");
    });
  });
}
