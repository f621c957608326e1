// Python's two common HTTP clients, `requests` and `httpx` (Debian's python3-requests and python3-httpx, run with
// /usr/bin/python3, as .ci/run installs them), through `ccproxy run` to an HTTPS stand-in: each goes through the
// forward capture (HTTPS_PROXY) with certificate checks on, so it must trust the ccproxy CA from the variables
// `run` sets (REQUESTS_CA_BUNDLE for requests, SSL_CERT_FILE for httpx), and each exchange is recorded.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startAnthropicStandIn, type AnthropicStandIn } from './helpers/anthropic-standin.js';
import { startClientStack, type ClientStack } from './helpers/clients.js';

const PYTHON = '/usr/bin/python3';

/** Posts one Messages request with the named library (default settings: certificates verified, proxy from env). */
const SCRIPT = `
import json, sys
lib, url = sys.argv[1], sys.argv[2]
body = {"model": "claude-haiku-4-5-20251001", "max_tokens": 16, "messages": [{"role": "user", "content": "hello from " + lib}]}
headers = {"x-api-key": "sk-ant-test-not-a-real-key", "anthropic-version": "2023-06-01", "x-claude-code-session-id": "python-" + lib}
if lib == "requests":
    import requests
    r = requests.post(url, json=body, headers=headers, timeout=30)
else:
    import httpx
    r = httpx.post(url, json=body, headers=headers, timeout=30)
print(json.dumps({"status": r.status_code, "text": r.json()["content"][0]["text"]}))
`;

/** False when the library imports; a reason to skip otherwise, except under CI, where .ci/run installs both. */
function pythonWith(lib: string): string | false {
  if (process.env.CI === 'true' || process.env.CI === '1') return false;
  const ok = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', `import ${lib}`]).status === 0;
  if (ok) return false;
  console.warn(`SKIPPED Python ${lib} test: ${PYTHON} cannot import ${lib} (apt-get install python3-${lib})`);
  return `SKIPPED: ${PYTHON} cannot import ${lib} (apt-get install python3-${lib})`;
}

let standIn: AnthropicStandIn;
let stack: ClientStack;
before(async () => {
  standIn = await startAnthropicStandIn();
  stack = await startClientStack(standIn.caPath, () => {});
});
after(async () => {
  await stack?.cleanup();
  await standIn?.close();
});

for (const lib of ['requests', 'httpx']) {
  test(`Python ${lib} through ccproxy run: trusts the interception, answered and recorded`, { skip: pythonWith(lib) }, async () => {
    const url = `${standIn.url}/v1/messages`;
    const r = await stack.run([PYTHON, '-c', SCRIPT, lib, url]);
    assert.equal(r.code, 0, `python (${lib}) exited ${r.code}: ${r.stderr}`);
    assert.deepEqual(JSON.parse(r.stdout), { status: 200, text: 'Hello from the Anthropic stand-in' });
    assert.ok(standIn.seen.some((s) => s.headers['x-claude-code-session-id'] === `python-${lib}`), 'the stand-in got it');
    const rows = await waitForRows(`python-${lib}`);
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.deepEqual(rows[0], { d: 1, url, status_code: 200, is_https: true, agent: lib === 'requests' ? 'python-requests' : 'python-httpx' });
  });
}

/** The row of a finished exchange, once the writer has it (it batches; the daemon keeps running between tests). */
async function waitForRows(session: string) {
  const sql = `SELECT proxy_direction AS d, url, status_code, is_https, split_part(request_headers->>'user-agent', '/', 1) AS agent
                 FROM "CCProxy_HttpTraces" WHERE session_id = '${session}' AND end_time IS NOT NULL`;
  for (let i = 0; i < 100; i++) {
    const rows = await stack.sql(sql);
    if (rows.length > 0) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
  return stack.sql(sql);
}
