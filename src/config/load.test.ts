import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'ccproxy-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const write = (text: string) => writeFileSync(join(dir, 'ccproxy.yaml'), text);

test('without a file: the spec defaults, the embedded database', () => {
  const { config, fileExists } = loadConfig({ CCPROXY_CONFIG_DIR: dir });
  assert.equal(fileExists, false);
  assert.equal(config.ccproxy.mitm.port, 8081);
  assert.equal(config.ccproxy.mitm.database_url, null);
  assert.equal(config.ccproxy.mitm.queue_size, 1000);
  assert.deepEqual(config.ccproxy.mitm.llm_hosts, ['api.anthropic.com', 'api.openai.com', 'generativelanguage.googleapis.com']);
});

test('the environment overrides the file: CCPROXY_DATABASE_URL, then DATABASE_URL', () => {
  write('ccproxy:\n  mitm:\n    database_url: postgresql://file/db\n    debug: false\n');
  assert.equal(loadConfig({ CCPROXY_CONFIG_DIR: dir }).sources.database_url, `${join(dir, 'ccproxy.yaml')} (ccproxy.mitm.database_url)`);
  const both = loadConfig({ CCPROXY_CONFIG_DIR: dir, DATABASE_URL: 'postgresql://d/db', CCPROXY_DATABASE_URL: 'postgresql://c/db', CCPROXY_DEBUG: 'true' });
  assert.equal(both.config.ccproxy.mitm.database_url, 'postgresql://c/db');
  assert.equal(both.sources.database_url, 'CCPROXY_DATABASE_URL');
  assert.equal(both.config.ccproxy.mitm.debug, true);
  const fallback = loadConfig({ CCPROXY_CONFIG_DIR: dir, DATABASE_URL: 'postgresql://d/db' });
  assert.equal(fallback.sources.database_url, 'DATABASE_URL');
});

test('sections other features read (litellm, rules, hooks) are kept, not refused', () => {
  write('litellm:\n  port: 4000\nccproxy:\n  rules: []\n  mitm:\n    enabled: true\n');
  const { config } = loadConfig({ CCPROXY_CONFIG_DIR: dir });
  assert.equal(config.ccproxy.mitm.enabled, true);
  assert.deepEqual((config as Record<string, unknown>).litellm, { port: 4000 });
});

test('errors name file, line and field', () => {
  write('ccproxy:\n  mitm:\n    port: 70000\n');
  assert.throws(() => loadConfig({ CCPROXY_CONFIG_DIR: dir }), new RegExp(`ccproxy\\.yaml:3: ccproxy\\.mitm\\.port: Too big`));
  write('- a\n- b\n');
  assert.throws(() => loadConfig({ CCPROXY_CONFIG_DIR: dir }), /ccproxy\.yaml:1: expected a mapping/);
});

test('ccproxy.prices: per model, USD per million tokens of each kind; a wrong entry names its line', () => {
  write('ccproxy:\n  prices:\n    claude-opus-4-8: { input: 5, output: 25, cache_write_1h: 10 }\n    local-*: { provider: openai, input: 0, output: 0 }\n');
  assert.deepEqual(loadConfig({ CCPROXY_CONFIG_DIR: dir }).config.ccproxy.prices, {
    'claude-opus-4-8': { input: 5, output: 25, cache_write_1h: 10 },
    'local-*': { provider: 'openai', input: 0, output: 0 },
  });
  write('ccproxy:\n  prices:\n    m:\n      input: 1\n      output: -2\n');
  assert.throws(() => loadConfig({ CCPROXY_CONFIG_DIR: dir }), /ccproxy\.yaml:5: ccproxy\.prices\.m\.output/);
});

test('map_remote: entries as written; invalid ones refused with file, line and field', () => {
  write('ccproxy:\n  mitm:\n    map_remote:\n      - from: "https://api.openai.com"\n        to: "http://127.0.0.1:4000"\n');
  assert.deepEqual(loadConfig({ CCPROXY_CONFIG_DIR: dir }).config.ccproxy.mitm.map_remote, [{ from: 'https://api.openai.com', to: 'http://127.0.0.1:4000' }]);
  write('ccproxy:\n  mitm:\n    map_remote:\n');
  assert.deepEqual(loadConfig({ CCPROXY_CONFIG_DIR: dir }).config.ccproxy.mitm.map_remote, [], 'an empty key is no entries');
  const refused = (yaml: string, re: RegExp) => {
    write(yaml);
    assert.throws(() => loadConfig({ CCPROXY_CONFIG_DIR: dir }), re);
  };
  const head = 'ccproxy:\n  mitm:\n    map_remote:\n      - from: "https://api.openai.com"\n        to: "http://127.0.0.1:4000"\n';
  refused(`${head}      - from: "api.anthropic.com"\n        to: "http://127.0.0.1:4000"\n`, /ccproxy\.yaml:6: ccproxy\.mitm\.map_remote\[1\]\.from: "api\.anthropic\.com" is not an absolute URL/);
  refused(`${head}      - from: "https://x.example"\n        to: "ws://127.0.0.1:4000"\n`, /ccproxy\.yaml:7: ccproxy\.mitm\.map_remote\[1\]\.to: "ws:\/\/127\.0\.0\.1:4000": expected an http:\/\/ or https:\/\/ URL/);
  refused(`${head}      - from: "https://x.example"\n`, /ccproxy\.yaml:6: ccproxy\.mitm\.map_remote\[1\]\.to: Invalid input/);
  refused(`${head}      - from: "https://x.example"\n        to: "http://y"\n        too: 1\n`, /ccproxy\.yaml:8: ccproxy\.mitm\.map_remote\[1\]\.too: unknown field/);
  refused(`${head}      - from: "https://api.openai.com/"\n        to: "http://127.0.0.1:5000"\n`, /ccproxy\.yaml:6: ccproxy\.mitm\.map_remote\[1\]\.from: the same from as map_remote\[0\]/);
  refused('ccproxy:\n  mitm:\n    map_remote: {from: "https://a", to: "http://b"}\n', /ccproxy\.yaml:3: ccproxy\.mitm\.map_remote: .*expected array/);
});
