// ccproxy's folder as another local user would find it: install and a running ccproxy on the embedded database
// leave nothing readable by others (folder 0700, files 0600, the database's files included), and a folder that an
// older version left open is tightened at start, said once in the log. The embedded database serves its owner only.
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { paths } from '../src/config/paths.js';
import { runCli } from './helpers/cli.js';
import { status, stopAndCheck } from './helpers/daemon.js';
import { tempConfigDir } from './helpers/pg.js';

/**
 * Every entry under `dir` that group or others may use, with its mode. PGlite recreates its relation cache files
 * (`pg_internal.init`) 0644 whatever the umask; inside folders that are 0700 no one else can reach them.
 */
function openEntries(dir: string): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    const cache = p.endsWith('/pg_internal.init') && (st.mode & 0o033) === 0;
    if ((st.mode & 0o077) !== 0 && !cache) out.push(`${p} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const n of readdirSync(p)) visit(join(p, n));
  };
  visit(dir);
  return out;
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('the config folder is owner-only', () => {
  const cfg = tempConfigDir();
  const env = { CCPROXY_CONFIG_DIR: join(cfg.dir, 'home') };
  after(() => cfg.remove());

  test('install, start on the embedded database and stop leave nothing open to other users', async () => {
    const dir = env.CCPROXY_CONFIG_DIR;
    assert.equal((await runCli(['install'], env)).code, 0);
    // Free ports, so that this test runs beside others; the file keeps the mode install gave it.
    writeFileSync(paths.configFile(dir), 'ccproxy:\n  port: 0\n  mitm:\n    port: 0\n');
    const started = await runCli(['start', '--mitm', '--detach'], env);
    assert.equal(started.code, 0, started.stderr);
    try {
      const s = (await status(env)).s;
      assert.ok(s.running);
      assert.deepEqual(openEntries(dir), []);
      assert.ok(readdirSync(paths.pgliteData(dir)).length > 0);
      // The embedded database's port: its owner gets in, another user is cut off before PostgreSQL answers.
      const port = String(s.database!.port);
      const own = await run('psql', ['-h', '127.0.0.1', '-p', port, '-U', 'postgres', '-Atc', 'select 42']);
      assert.equal(own.stdout.trim(), '42', own.stderr);
      if (process.getuid?.() === 0) {
        const other = await run('su', ['-s', '/bin/sh', 'nobody', '-c', `psql -h 127.0.0.1 -p ${port} -U postgres -Atc 'select count(*) from "CCProxy_HttpTraces"'`]);
        assert.notEqual(other.code, 0);
        assert.equal(other.stdout, '');
        assert.match(other.stderr, /server closed the connection|connection to server .* failed/);
      } else assert.ok(!process.env.CI, 'CI runs as root, so the other-user check runs there');
    } finally {
      await stopAndCheck(env);
    }
    assert.deepEqual(openEntries(dir), []);
  });

  test('what an older version left open is tightened at start, and the log says so once', async () => {
    const dir = env.CCPROXY_CONFIG_DIR;
    chmodSync(dir, 0o755);
    chmodSync(paths.configFile(dir), 0o644);
    chmodSync(paths.modelsFile(dir), 0o644);
    const pg = paths.pgliteData(dir);
    chmodSync(pg, 0o777);
    chmodSync(join(pg, 'postgresql.conf'), 0o666);
    const started = await runCli(['start', '--mitm', '--detach'], env);
    assert.equal(started.code, 0, started.stderr);
    try {
      assert.deepEqual(openEntries(dir), []);
    } finally {
      await stopAndCheck(env);
    }
    const log = readFileSync(paths.logFile(dir), 'utf8');
    const said = [...log.matchAll(/tightened permissions on (\d+) entries under /g)];
    assert.equal(said.length, 1, log);
    assert.ok(Number(said[0]![1]) >= 5, log);
  });
});
