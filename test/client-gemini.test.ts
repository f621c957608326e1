// Gemini CLI, the real program from npm (pinned in test/clients), headless through `ccproxy run` on the config.yaml
// that `ccproxy install` writes, with only api_base edited so its Gemini deployments reach an HTTPS stand-in of the
// Gemini API. The CLI first asks its model router for JSON (a generateContent), then streams the answer
// (streamGenerateContent, SSE); each call must be answered and recorded. Twice: as an API-key user whose settings
// chose that auth type (`run` points the CLI at the gateway with GOOGLE_GEMINI_BASE_URL: both ends recorded), and
// as a fresh headless user with nothing but GEMINI_API_KEY, the case a CI job has (`run` leaves the variable out,
// which 0.61 would take as a "gateway" login its headless check refuses): the CLI calls Google itself, and
// ccproxy.yaml's map_remote sends generativelanguage.googleapis.com to the same stand-in. Usage statistics
// and update checks are turned off through the CLI's documented settings.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ensureClients, setApiBase, setMitmSettings, startClientStack, type ClientStack } from './helpers/clients.js';
import { providerCA } from './helpers/gateway.js';
import { GEMINI_TEXT, GeminiStandIn } from './helpers/gemini-standin.js';

/** ~/.gemini/settings.json: no usage statistics (play.googleapis.com), no update check (the npm registry). */
export const GEMINI_SETTINGS = { privacy: { usageStatisticsEnabled: false }, general: { enableAutoUpdate: false, enableAutoUpdateNotification: false } };
/** What Gemini CLI writes once a user picks "Use Gemini API key". */
const API_KEY_AUTH = { security: { auth: { selectedType: 'gemini-api-key' } } };
const GOOGLE_API = 'https://generativelanguage.googleapis.com';
const KEY = 'AIza-test-not-a-real-key';

function home(dir: string, settings: object): string {
  mkdirSync(join(dir, '.gemini'), { recursive: true });
  writeFileSync(join(dir, '.gemini', 'settings.json'), JSON.stringify(settings, null, 2));
  return dir;
}

let ca: Awaited<ReturnType<typeof providerCA>>;
let standIn: GeminiStandIn;
let stack: ClientStack;
/** The content calls the stand-in saw (generateContent and streamGenerateContent), in order. */
const contentCalls = () => standIn.seen.filter((s) => /:(generateContent|streamGenerateContent)/.test(s.url));
before(async () => {
  await ensureClients();
  ca = await providerCA();
  standIn = await new GeminiStandIn(await ca.pemFor('127.0.0.1')).start();
  stack = await startClientStack(ca.certPath, (dir) => {
    setApiBase(join(dir, 'config.yaml'), 'gemini', standIn.url);
    setMitmSettings(join(dir, 'ccproxy.yaml'), { map_remote: [{ from: GOOGLE_API, to: standIn.url }] });
  });
});
after(async () => {
  await stack?.cleanup();
  await standIn?.close();
  ca?.remove();
});

/** Runs `gemini -p` in `homeDir`; returns the content calls the stand-in saw for it and the CLI's output. */
async function ask(homeDir: string, prompt: string) {
  const before = contentCalls().length;
  const r = await stack.run(['gemini', '-p', prompt], { HOME: homeDir, GEMINI_API_KEY: KEY, GEMINI_CLI_TRUST_WORKSPACE: 'true' });
  return { r, calls: contentCalls().slice(before) };
}

function assertAnswered(r: { code: number | null; stdout: string; stderr: string }, calls: { url: string; headers: Record<string, unknown> }[]) {
  assert.equal(r.code, 0, `gemini exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.ok(r.stdout.includes(GEMINI_TEXT), `gemini printed the stand-in's answer:\n${r.stdout}\n${r.stderr}`);
  assert.ok(calls.some((c) => c.url.includes(':streamGenerateContent')), `the answer was streamed: ${calls.map((c) => c.url).join(', ')}`);
  assert.ok(calls.every((c) => c.headers['x-goog-api-key'] === KEY || new URL(c.url, 'https://x').searchParams.get('key') === KEY), 'the client\'s key reached the provider');
}

/** Rows of the content calls whose request carried `prompt`, both directions. */
async function rowsFor(prompt: string) {
  return stack.sql<{ d: number; url: string; path: string; original_url: string | null; status_code: number | null; usage: boolean }>(
    `SELECT proxy_direction AS d, url, path, original_url, status_code,
            position('usageMetadata' in convert_from(response_body, 'UTF8')) > 0 AS usage
       FROM "CCProxy_HttpTraces"
      WHERE path ~ '/models/[^/:]+:(generateContent|streamGenerateContent)' AND position('${prompt}' in convert_from(request_body, 'UTF8')) > 0
      ORDER BY start_time`,
  );
}

const KEY_USER = 'Say hello to the stand-in, API-key user.';
const FRESH_USER = 'Say hello to the stand-in, fresh user.';
let keyUserCalls: { url: string }[] = [];
let freshCalls: { url: string }[] = [];

test('Gemini CLI headless, API-key auth chosen in its settings: answered', async () => {
  const { r, calls } = await ask(home(join(stack.home, 'key-user'), { ...GEMINI_SETTINGS, ...API_KEY_AUTH }), KEY_USER);
  assertAnswered(r, calls);
  keyUserCalls = calls;
});

test('Gemini CLI headless, fresh (only GEMINI_API_KEY): answered', async () => {
  const { r, calls } = await ask(home(join(stack.home, 'fresh'), GEMINI_SETTINGS), FRESH_USER);
  assertAnswered(r, calls);
  freshCalls = calls;
});

test('Gemini CLI: every call recorded (at both ends through the gateway; at the forward capture with its original URL when mapped)', async () => {
  await stack.stopCleanly();
  for (const [prompt, calls, viaGateway] of [[KEY_USER, keyUserCalls, true], [FRESH_USER, freshCalls, false]] as const) {
    assert.ok(calls.length > 0, `the run for "${prompt}" was answered`);
    const rows = await rowsFor(prompt);
    const forward = rows.filter((x) => x.d === 1 && x.url.startsWith(`${standIn.url}/`));
    assert.equal(forward.length, calls.length, `every call the provider got is recorded where it went out: ${JSON.stringify(rows)}`);
    assert.deepEqual(forward.map((x) => x.path), calls.map((c) => c.url), 'the provider got the calls as recorded');
    const reverse = rows.filter((x) => x.d === 0);
    const mapped = forward.filter((x) => x.original_url?.startsWith(`${GOOGLE_API}/`));
    if (viaGateway) assert.equal(reverse.length, calls.length, `through the gateway, each call is also recorded where it came in: ${JSON.stringify(rows)}`);
    else assert.equal(mapped.length, calls.length, `sent to Google, each call is recorded with the URL it asked for: ${JSON.stringify(rows)}`);
    for (const x of rows) assert.ok(x.status_code === 200 && x.usage, `answered, usageMetadata stored: ${JSON.stringify(x)}`);
  }
});
