// What the quick commands load: --help no command module, status and db url none of the heavy libraries (the
// YAML parser, zod, pg, undici, the X.509 code, PGlite), which is what keeps them about as fast as Node starts
// (`npm run bench -- cli` measures that). And command modules stay adapters: none imports another.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { CLI, outputOf } from './helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'ccproxy-startup-'));
after(() => rmSync(work, { recursive: true, force: true }));

const HEAVY = /\/node_modules\/(zod|yaml|pg|pg-copy-streams|undici|ws|@peculiar\/x509|@electric-sql\/[^/]+|gpt-tokenizer|fzstd)\//;

// Module hooks (node:module register) that note every module the CLI loads, one URL a line.
const hooks = join(work, 'hooks.mjs');
writeFileSync(
  hooks,
  `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (!url.startsWith('node:')) appendFileSync(process.env.CCPROXY_TEST_LOADED, url + '\\n');
  return next(url, context);
}
`,
);
const register = join(work, 'register.mjs');
writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);

async function loadedBy(args: string[], name: string, files: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; loaded: string[] }> {
  const dir = mkdtempSync(join(work, 'config-'));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  const list = join(work, `${name}.txt`);
  writeFileSync(list, '');
  const env = { PATH: process.env.PATH, HOME: work, CCPROXY_CONFIG_DIR: dir, CCPROXY_TEST_LOADED: list };
  const r = await outputOf(spawn(process.execPath, ['--import', pathToFileURL(register).href, CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  return { code: r.code, stdout: r.stdout, loaded: readFileSync(list, 'utf8').split('\n').filter(Boolean) };
}

test('--help loads no command module and no library', async () => {
  const r = await loadedBy(['--help'], 'help');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /\n {2}db url {2,}Print the database URL/);
  assert.ok(r.loaded.some((u) => u.endsWith('/cli/main.js')), 'the hooks saw the CLI load');
  assert.deepEqual(r.loaded.filter((u) => u.includes('/cli/commands/') || u.includes('/node_modules/')), []);
});

test('status and db url without ccproxy.yaml load none of the heavy libraries', async () => {
  const status = await loadedBy(['status'], 'status');
  assert.equal(status.code, 3);
  assert.match(status.stdout, /ccproxy is not running/);
  const url = await loadedBy(['db', 'url'], 'db-url');
  assert.equal(url.code, 3);
  for (const r of [status, url]) {
    assert.ok(r.loaded.some((u) => u.includes('/cli/commands/')), 'the hooks saw the command load');
    assert.deepEqual(r.loaded.filter((u) => HEAVY.test(u)), []);
  }
});

test('with a ccproxy.yaml, db url reads it (and its settings) through the full loader', async () => {
  const r = await loadedBy(['db', 'url'], 'db-url-file', { 'ccproxy.yaml': 'ccproxy:\n  mitm:\n    database_url: postgresql://u:pw@db.example/traces\n' });
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), 'postgresql://u:***@db.example/traces');
  assert.ok(r.loaded.some((u) => /\/node_modules\/zod\//.test(u)));
});

test('no command module imports another (shared logic lives in library modules)', () => {
  const dir = new URL('../src/cli/commands/', import.meta.url);
  const modules = readdirSync(dir).filter((f) => f.endsWith('.js') && !f.endsWith('.test.js'));
  assert.ok(modules.length > 10);
  for (const f of modules) {
    const text = readFileSync(new URL(f, dir), 'utf8');
    assert.doesNotMatch(text, /(from|import\(?)\s*['"]\.\//, `${f} imports another command module`);
  }
});
