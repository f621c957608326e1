// Gemini CLI, the real program from npm (pinned in test/clients), headless through `ccproxy run` on the config.yaml
// that `ccproxy install` writes, with only api_base edited so its Gemini deployments reach an HTTPS stand-in of the
// Gemini API. `run` points the CLI at the gateway (GOOGLE_GEMINI_BASE_URL); the CLI first asks its model router
// for JSON (a generateContent), then streams the answer (streamGenerateContent, SSE). Each call must be answered
// and recorded at both ends. Usage statistics are turned off through the CLI's documented setting.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { clientBin, ensureClients, setApiBase, startClientStack, type ClientStack } from './helpers/clients.js';
import { startGeminiStandIn, type GeminiStandIn } from './helpers/gemini-api-standin.js';

/** ~/.gemini/settings.json: no usage statistics (play.googleapis.com), no update check (the npm registry). */
export const GEMINI_SETTINGS = { privacy: { usageStatisticsEnabled: false }, general: { enableAutoUpdate: false, enableAutoUpdateNotification: false } };

let standIn: GeminiStandIn;
let stack: ClientStack;
before(async () => {
  await ensureClients();
  standIn = await startGeminiStandIn();
  stack = await startClientStack(standIn.caPath, (dir) => setApiBase(join(dir, 'config.yaml'), 'gemini', standIn.url));
  mkdirSync(join(stack.home, '.gemini'));
  writeFileSync(join(stack.home, '.gemini', 'settings.json'), JSON.stringify(GEMINI_SETTINGS, null, 2));
});
after(async () => {
  await stack?.cleanup();
  await standIn?.close();
});

test('Gemini CLI headless: answered by the stand-in through the gateway, every call recorded at both ends', async () => {
  const r = await stack.run([clientBin('gemini'), '-p', 'Say hello to the stand-in.'], { GEMINI_API_KEY: 'AIza-test-not-a-real-key', GEMINI_CLI_TRUST_WORKSPACE: 'true' });
  assert.equal(r.code, 0, `gemini exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.ok(r.stdout.includes(standIn.answer), `gemini printed the stand-in's answer:\n${r.stdout}\n${r.stderr}`);

  const calls = standIn.contentCalls();
  assert.ok(calls.some((c) => c.url.includes(':streamGenerateContent')), `the answer was streamed: ${calls.map((c) => c.url).join(', ')}`);
  assert.ok(calls.every((c) => c.headers['x-goog-api-key'] === 'AIza-test-not-a-real-key' || new URL(c.url, 'https://x').searchParams.get('key') === 'AIza-test-not-a-real-key'), 'the client\'s key reached the provider');

  assert.equal((await stack.stop()).code, 0);
  const rows = await stack.sql<{ d: number; url: string; path: string; status_code: number | null; usage: boolean }>(
    `SELECT proxy_direction AS d, url, path, status_code,
            position('usageMetadata' in convert_from(response_body, 'UTF8')) > 0 AS usage
       FROM "CCProxy_HttpTraces" WHERE path LIKE '%/models/%:%generateContent%' ORDER BY start_time`,
  );
  const reverse = rows.filter((x) => x.d === 0);
  const forward = rows.filter((x) => x.d === 1 && x.url.startsWith(`${standIn.url}/`));
  assert.equal(reverse.length, calls.length, `every call the client made is recorded where it came in: ${JSON.stringify(rows)}`);
  assert.equal(forward.length, calls.length, `every call the provider got is recorded where it went out: ${JSON.stringify(rows)}`);
  for (const x of [...reverse, ...forward]) {
    assert.equal(x.status_code, 200, JSON.stringify(x));
    assert.ok(x.usage, `the stored answer carries usageMetadata: ${JSON.stringify(x)}`);
  }
  assert.deepEqual(forward.map((x) => x.path), calls.map((c) => c.url), 'the provider got the calls as recorded');
});
