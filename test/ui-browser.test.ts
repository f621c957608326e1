// The viewer page in a real browser (Debian's Chromium through playwright-core) against a running ccproxy on the
// server database behind a relay that can be cut: the sessions list fills live as a client's requests pass the
// stack, the conversation shows the tool call, its result and the final text, the client/provider pair shows the
// gateway's model rewrite, a changed system prompt is explained as a cache miss, the filter bar filters and points
// at a bad expression, HAR downloads, bad bodies and a lost database are said plainly; no token, a spent or wrong one,
// or a foreign Host gets nothing. Each view is saved as a screenshot under test-artifacts/ui/.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import pg from 'pg';
import { runCli } from './helpers/cli.js';
import { SONNET, stackConfig, startProvider, status, stopAndCheck, type Provider, type Status } from './helpers/daemon.js';
import { createTempDatabase, serverSkip } from './helpers/pg.js';
import { Relay } from './helpers/relay.js';
import { seedCalls } from './helpers/usage-seed.js';
import { BIG_BODY_TRACE, BIG_REQUESTS, BIG_SESSION, seedBigBody, seedLongSession } from './helpers/viewer-seed.js';

const CHROMIUM = '/usr/bin/chromium';
/** A host name Chromium resolves to the viewer's loopback address: a page using DNS rebinding. */
const FOREIGN = 'rebound.example';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--host-resolver-rules=MAP ${FOREIGN} 127.0.0.1`];
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/ui/', import.meta.url));
/** Live updates reach a page within a second; the wait allows for a loaded machine. */
const SEEN_MS = 15_000;

/** The first `http://` URL `ccproxy ui` prints: the sign-in link. */
const firstUrl = (out: string): string => /http:\/\/\S+/.exec(out)?.[0] ?? assert.fail(`no http:// URL in: ${out}`);

const noChromium = existsSync(CHROMIUM) || process.env.CI === 'true' ? false : `no ${CHROMIUM} (apt-get install chromium; under CI=true this fails instead)`;

describe('the viewer page in Chromium', { skip: noChromium || (await serverSkip()) }, () => {
  let provider: Provider;
  let cfg: ReturnType<typeof stackConfig>;
  let env: Record<string, string>;
  let s: Status;
  let db: Awaited<ReturnType<typeof createTempDatabase>>;
  let relay: Relay;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  const chat = randomUUID();
  const cache = randomUUID();

  const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: false });
  const post = async (session: string, body: unknown, raw?: string) => {
    const res = await fetch(`${s.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-claude-code-session-id': session, 'user-agent': 'claude-cli/2.1.0 (external, cli)' },
      body: raw ?? JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };
  const link = async () => {
    const r = await runCli(['ui', '--no-open'], env);
    assert.equal(r.code, 0, r.stderr);
    return firstUrl(r.stdout);
  };
  const bash = { name: 'Bash', description: 'Run a shell command', input_schema: { type: 'object', properties: { command: { type: 'string' } } } };

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    provider = await startProvider();
    db = await createTempDatabase();
    relay = await Relay.before(db.url);
    cfg = stackConfig(provider.url);
    env = { CCPROXY_CONFIG_DIR: cfg.dir, NODE_EXTRA_CA_CERTS: provider.caPath, CCPROXY_DATABASE_URL: relay.url(db.url) };
    const r = await runCli(['start', '--mitm', '--detach'], env);
    assert.equal(r.code, 0, r.stderr);
    s = (await status(env)).s;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const l = await link();
    base = new URL('/', l).href;
    const res = await page.goto(l);
    assert.equal(res?.status(), 200);
    assert.equal(page.url(), base, 'the token is spent and the address is the clean URL');
  });
  after(async () => {
    await browser?.close();
    await stopAndCheck(env, s?.pid);
    await provider?.close();
    await relay?.stop();
    await db?.drop();
    cfg?.remove();
  });

  test('an empty database: the sessions list says so', async () => {
    await page.getByText('No sessions yet').waitFor();
    await shot('sessions-empty');
  });

  test("a client's requests through the stack appear in the open sessions list without reload", async () => {
    const first = await post(chat, { model: SONNET, max_tokens: 64, tools: [bash], messages: [{ role: 'user', content: 'List the files here' }] });
    assert.equal(first.status, 200, first.text);
    const row = page.locator(`a.srow[data-session="${chat}"]`);
    await row.waitFor({ timeout: SEEN_MS });
    const second = await post(chat, {
      model: SONNET,
      max_tokens: 64,
      stream: true,
      tools: [bash],
      messages: [
        { role: 'user', content: 'List the files here' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'Bash', input: { command: 'ls -la /srv/demo', description: 'List the files' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'notes.txt\nplan.md' }] },
      ],
    });
    assert.equal(second.status, 200, second.text);
    // The row updates in place: two requests now.
    await page.waitForFunction((id) => document.querySelector(`a.srow[data-session="${id}"]`)?.children[2]?.textContent === '2', chat, { timeout: SEEN_MS });
    assert.match(await row.innerText(), /claude-cli\/2\.1\.0/);
    await shot('sessions');
  });

  test('the timeline pairs each client request with the provider request, the rewritten model highlighted; the session downloads as HAR', async () => {
    await page.locator(`a.srow[data-session="${chat}"]`).click();
    const rows = page.locator('.tl-row');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    assert.match(await rows.first().innerText(), /model rewritten/);
    await rows.first().click();
    const rewritten = page.locator('.pair tr.model-rewritten');
    await rewritten.waitFor();
    const cells = await rewritten.locator('td').allInnerTexts();
    assert.equal(cells[0], SONNET);
    assert.match(cells[1]!, /^claude-upstream/);
    await shot('session-timeline');
    // The session as HAR: both requests at both ends.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.timeline-wrap > .toolbar a', { hasText: 'Download HAR' }).click()]);
    const har = JSON.parse(readFileSync((await download.path())!, 'utf8')) as { log: { entries: unknown[] } };
    assert.equal(har.log.entries.length, 4);
  });

  test('the conversation shows the tool call, its result and the final text', async () => {
    await page.getByRole('link', { name: 'Conversation' }).click();
    const call = page.locator('.turn.tool[data-tool="Bash"]');
    await call.waitFor();
    assert.match(await call.innerText(), /ls -la \/srv\/demo/);
    assert.match(await call.innerText(), /notes\.txt/);
    // The final text: the streamed answer to the request that carried the tool result.
    await page.locator('.turn.assistant', { hasText: 'Hello world' }).last().waitFor();
    await shot('conversation');
  });

  test('a request whose system prompt changed is explained as a cache miss', async () => {
    const ask = (system: string) =>
      post(cache, { model: SONNET, max_tokens: 16, system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'Summarise the plan' }] });
    provider.standIn.anthropicUsage = { input_tokens: 12, cache_creation_input_tokens: 5000, cache_read_input_tokens: 0, output_tokens: 7 };
    assert.equal((await ask('You are a careful planner. Version one.')).status, 200);
    assert.equal((await ask('You are a careful planner. Version two.')).status, 200);
    provider.standIn.anthropicUsage = null;
    await page.goto(`${base}#/session/${cache}?tab=requests`);
    // The page reads the session again when its last rows (the usage of the second answer) are written.
    const miss = page.locator('.cache-miss', { hasText: 'system block 0' }).first();
    await miss.waitFor({ timeout: SEEN_MS });
    assert.match(await miss.innerText(), /the prompt changed at system block 0/);
    assert.match(await miss.innerText(), /written with a 5m TTL/);
    await shot('requests-cache');
  });

  test('one exchange: headers, bodies as a tree, SSE events, usage, curl; its HAR downloads', async () => {
    await page.goto(`${base}#/session/${chat}`);
    await page.locator('.tl-row').nth(1).click();
    await page.getByRole('link', { name: 'Open the provider request' }).click();
    await page.locator('.view.exchange').waitFor();
    await page.locator('.sse h3').waitFor();
    assert.match(await page.locator('.sse h3').innerText(), /SSE events: \d+/);
    assert.ok((await page.locator('[data-body="request body"] .json-tree').count()) === 1, 'the request body is a JSON tree');
    await page.getByRole('button', { name: 'Copy as curl' }).waitFor();
    await shot('exchange');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.ex-links a', { hasText: 'Download HAR' }).click()]);
    const har = JSON.parse(readFileSync((await download.path())!, 'utf8')) as { log: { entries: { request: { url: string } }[] } };
    assert.equal(har.log.entries.length, 1);
    assert.match(har.log.entries[0]!.request.url, /\/v1\/messages/);
  });

  test('the filter bar filters exchanges and points at a bad expression', async () => {
    await page.goto(`${base}#/traces`);
    await page.locator('.trow').first().waitFor();
    const all = await page.locator('.trow').count();
    await page.getByLabel('filter').fill('~dir forward & ~model upstream');
    await page.getByLabel('filter').press('Enter');
    await page.waitForFunction((n) => document.querySelectorAll('.trow').length > 0 && document.querySelectorAll('.trow').length < n, all);
    for (const t of await page.locator('.trow .dir').allInnerTexts()) assert.equal(t, 'provider');
    await shot('traces-filtered');
    await page.getByLabel('filter').fill('~c 200 & (~m POST');
    await page.getByLabel('filter').press('Enter');
    const err = page.locator('.filter-error');
    await err.waitFor();
    assert.equal(await page.locator('.toolbar a', { hasText: 'Download HAR' }).count(), 0, 'no download of a filter that does not parse');
    assert.match(await err.innerText(), /\^/);
    // The expression and its caret once (the page's own drawing), then the message's first line.
    assert.equal((await err.innerText()).split('~c 200 & (~m POST').length, 2, await err.innerText());
    await shot('filter-error');
  });

  test('a body that is not JSON and a one-request session are shown plainly', async () => {
    const odd = randomUUID();
    await post(odd, null, 'this is not json {');
    await page.goto(`${base}#/session/${odd}`);
    await page.locator('.tl-row').first().waitFor({ timeout: SEEN_MS });
    assert.equal(await page.locator('.tl-row').count(), 1);
    await page.locator('.tl-row').first().click();
    await page.getByRole('link', { name: 'Open the client request' }).click();
    const body = page.locator('[data-body="request body"] pre.raw');
    await body.waitFor();
    assert.equal(await body.innerText(), 'this is not json {');
    await page.goto(`${base}#/session/${odd}?tab=conversation`);
    await page.locator('.conversation, .notice').first().waitFor();
    assert.equal(await page.locator('#app').count(), 1);
    assert.ok((await page.locator('#app').innerText()).length > 0, 'the page is not blank');
  });

  test('a stream cut midway: the events that came, the partial message and the failure, plainly', async () => {
    const cut = randomUUID();
    const release = provider.standIn.armGate();
    const ctl = new AbortController();
    const res = await fetch(`${s.url}/v1/messages`, {
      method: 'POST',
      signal: ctl.signal,
      headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-claude-code-session-id': cut },
      body: JSON.stringify({ model: SONNET, max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'Tell me a long story' }] }),
    });
    await provider.standIn.firstEventSent;
    // The client hangs up after the first event; the provider finishes later, to nobody.
    ctl.abort();
    await res.body?.cancel().catch(() => {});
    release();
    await page.goto(`${base}#/session/${cut}`);
    await page.locator('.tl-row').first().waitFor({ timeout: SEEN_MS });
    await page.locator('.tl-row').first().click();
    await page.getByRole('link', { name: 'Open the client request' }).click();
    await page.locator('.view.exchange').waitFor();
    const text = await page.locator('.view.exchange').innerText();
    assert.match(text, /SSE events: \d+/);
    assert.match(text, /stop reason: none/);
    assert.match(text, /the client closed the connection before the response ended/);
    await shot('exchange-cut-stream');
  });

  test('a session of 2,000 requests draws only the rows in view; a 10 MB body opens whole on request', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      await seedLongSession(pool);
      await seedBigBody(pool);
    } finally {
      await pool.end();
    }
    await page.goto(`${base}#/session/${BIG_SESSION}`);
    const rows = page.locator('.tl-row');
    await rows.first().waitFor();
    const list = page.locator('.vlist.timeline');
    // Scrolled to the end until every page is read: the last request is drawn, and only a screenful around it.
    for (let i = 0; i < 20 && !(await page.locator('.toolbar .muted', { hasText: `${BIG_REQUESTS} exchanges` }).count()); i++) {
      await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await page.waitForTimeout(200);
    }
    await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.locator(`.tl-row[data-trace="viewer-long-${BIG_REQUESTS}-rev"]`).waitFor();
    const drawn = await rows.count();
    assert.ok(drawn > 5 && drawn < 100, `${drawn} rows drawn of ${BIG_REQUESTS}`);
    await page.goto(`${base}#/trace/${BIG_BODY_TRACE}`);
    const open = page.locator('[data-body="request body"] .open-whole');
    await open.waitFor();
    assert.match(await open.innerText(), /Open the whole body \(10\.\d MB\)/);
    // The command would be 10 MB: the page says where to get it instead.
    assert.match(await page.locator('.curl-note').innerText(), /ccproxy export curl viewer-10mb-body/);
    await open.click();
    await open.waitFor({ state: 'detached', timeout: 60_000 });
    const tree = page.locator('[data-body="request body"] .json-tree');
    await tree.locator('.j-toggle', { hasText: 'messages' }).waitFor();
    await shot('exchange-10mb');
  });

  test('quota: utilisation over time and the sessions share', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    const now = Date.now();
    await seedCalls(
      pool,
      Array.from({ length: 12 }, (_, i) => ({ id: `quota-${i}`, at: new Date(now - (12 - i) * 600_000).toISOString(), session: i < 8 ? 'quota-main' : 'quota-other', model: SONNET, input: 100, output: 50, cost: 0.01 * (i + 1), quota: { fiveHour: 0.05 * i, sevenDay: 0.02 * i } })),
    );
    await pool.end();
    await page.goto(`${base}#/quota`);
    await page.locator('svg.chart path.l5h').waitFor();
    assert.ok((await page.locator('table.share tr').count()) >= 3);
    await shot('quota');
  });

  test('a database that goes away is said plainly; the page recovers when it is back', async () => {
    await page.goto(`${base}#/sessions`);
    await page.locator('a.srow').first().waitFor();
    await shot('sessions-many');
    await relay.stop();
    const banner = page.locator('.banner.down');
    await banner.waitFor({ timeout: SEEN_MS });
    assert.match(await banner.innerText(), /database cannot be reached/);
    assert.ok((await page.locator('a.srow').count()) > 0, 'what was on screen stays');
    await shot('database-down');
    await relay.start();
    await banner.waitFor({ state: 'detached', timeout: SEEN_MS * 2 });
    await page.getByRole('link', { name: 'Exchanges' }).click();
    await page.locator('.trow').first().waitFor({ timeout: SEEN_MS });
  });

  test('no token, a spent or wrong token, or a foreign Host: refused', async () => {
    const fresh = await browser.newContext();
    try {
      const p = await fresh.newPage();
      const none = await p.goto(base);
      assert.equal(none?.status(), 401);
      assert.equal(await p.locator('#app').count(), 0);
      const wrong = await p.goto(`${base}?token=not-a-token`);
      assert.equal(wrong?.status(), 403);
      assert.equal((await p.request.get(`${base}api/sessions`)).status(), 401);
      const l = await link();
      const foreign = await p.goto(l.replace('127.0.0.1', FOREIGN));
      assert.ok((foreign?.status() ?? 0) >= 400, `a foreign Host gets ${foreign?.status()}`);
      assert.equal(await p.locator('#app').count(), 0);
      // The same link, unspent, on the viewer's own name still signs in: the refusal was the Host's.
      const ok = await p.goto(l);
      assert.equal(ok?.status(), 200);
      await p.locator('header.top').waitFor();
    } finally {
      await fresh.close();
    }
  });
});
