// The CLI as a user runs it: db push, the spec's example queries verbatim through db sql, prune, and the
// errors a wrong setting produces — on the embedded database and on the server.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../src/log.js';
import { openTraceStore } from '../src/store/store.js';
import { LATEST_VERSION } from '../src/store/migrations.js';
import { SPEC_QUERIES } from './fixtures/spec-queries.js';
import { runCli, startCli } from './helpers/cli.js';
import { BACKENDS, serverSkip, SERVER_URL, tempConfigDir } from './helpers/pg.js';
import { AGE_SQL, SEEDS, SESSION, seedSpecRows } from './helpers/seed.js';

const sql = async (env: Record<string, string>, query: string) => {
  const r = await runCli(['db', 'sql', '--json', query], env);
  assert.equal(r.code, 0, `db sql failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

test('npx ccproxy --help works from the repository root, as the README says', async () => {
  const { execFile } = await import('node:child_process');
  const root = new URL('../../', import.meta.url);
  // The first npx in a checkout links it into npm's npx cache as a file: dependency and runs its prepare script,
  // `npm run build`, which rewrites dist/ file by file while the other test files run from it (a daemon they start
  // then fails to link a module it read half-written). The suite runs after the build: no scripts here.
  const env = { ...process.env, npm_config_ignore_scripts: 'true' };
  const out = await new Promise<{ code: number; stdout: string }>((resolve) =>
    execFile('npx', ['--no-install', 'ccproxy', '--help'], { cwd: root, env }, (err, stdout) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout })),
  );
  assert.equal(out.code, 0);
  assert.match(out.stdout, /^ccproxy — capture LLM API traffic into PostgreSQL/);
});

test('--help lists the commands', async () => {
  const r = await runCli(['--help'], {});
  assert.equal(r.code, 0);
  for (const c of ['db push', 'db sql', 'db prune', 'db backfill', 'db url', 'db serve', 'mitm start']) assert.match(r.stdout, new RegExp(`\\n  ${c} `));
  const bad = await runCli(['frobnicate'], {});
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown command "frobnicate"/);
});

for (const backend of BACKENDS) {
  describe(`ccproxy db (${backend.name})`, { skip: await backend.skip() }, () => {
    let env: Awaited<ReturnType<typeof backend.setup>>;
    before(async () => {
      env = await backend.setup();
    });
    after(async () => env?.cleanup());

    test('db push creates the schema, and a second run is a no-op', async () => {
      const first = await runCli(['db', 'push'], env.env);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /applied 1: spec table/);
      assert.match(first.stdout, /applied 2: capture extras/);
      assert.match(first.stdout, /applied 3: bodies compressed with lz4/);
      assert.match(first.stdout, /applied 4: WebSocket messages table CCProxy_WebSocketMessages/);
      assert.match(first.stdout, /applied 5: original_url/);
      const second = await runCli(['db', 'push'], env.env);
      assert.equal(second.code, 0);
      assert.match(second.stdout, new RegExp(`schema is up to date \\(version ${LATEST_VERSION}\\)`));
    });

    describe('the spec example queries, verbatim, on seeded traces', () => {
      let serve: ReturnType<typeof startCli> | undefined;
      before(async () => {
        const store = await openTraceStore(env.loaded, silentLogger);
        seedSpecRows(store.writer);
        assert.ok(await store.writer.flush(10_000));
        await store.db.pool.query(AGE_SQL);
        await store.close();
        if (backend.name === 'embedded') {
          // A long-running holder: every db sql below reaches the embedded database through its loopback port.
          serve = startCli(['db', 'serve'], env.env);
          const [line] = await once(createInterface({ input: serve.stdout! }), 'line');
          assert.match(line, /^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
        }
      });
      after(async () => {
        if (serve && serve.exitCode === null) {
          serve.kill('SIGTERM');
          await once(serve, 'exit');
        }
      });

      test('basic workflow: latest 10 traces, every column', async () => {
        const rows = await sql(env.env, SPEC_QUERIES['basic workflow: latest 10']!);
        assert.equal(rows.length, 10);
        assert.equal(rows[0].trace_id, 'r0-7');
        assert.equal(rows[0].start_time, '2026-11-20 10:00:12');
        assert.deepEqual(rows[0].request_headers, { 'content-type': 'application/json', 'user-agent': 'seed/1.0' });
        assert.equal(Buffer.from(rows[0].response_body, 'base64').toString(), '{"ok":true}');
        assert.ok('ttfb_ms' in rows[0] && 'created_at' in rows[0]);
      });

      test('debugging workflow: five latest llm calls', async () => {
        const rows = await sql(env.env, SPEC_QUERIES['debugging workflow: llm traffic']!);
        assert.deepEqual(
          rows.map((r: { url: string; status_code: number | null; duration_ms: number }) => [r.url.split('/').pop(), r.status_code, r.duration_ms]),
          [['completions', 200, 400], ['completions', 200, 300], ['completions', 200, 200], ['completions', 200, 100], ['messages', null, 5]],
        );
      });

      test('analysis: recent traces with direction and session', async () => {
        const rows = await sql(env.env, SPEC_QUERIES['analysis: View recent traces with direction and session']!);
        assert.deepEqual(Object.keys(rows[0]), ['trace_id', 'proxy_direction', 'session_id', 'method', 'url', 'start_time']);
        assert.deepEqual(
          rows.map((r: { trace_id: string }) => r.trace_id),
          ['r0-7', 'r0-6', 'r0-5', 'r0-4', 'r0-3', 'f1-5', 'f1-4', 'f1-3', 'f1-2', 'r0-2'],
        );
      });

      test('analysis: reverse and forward linked by session', async () => {
        const rows = await sql(env.env, SPEC_QUERIES['analysis: Link reverse and forward proxy requests by session']!);
        assert.deepEqual(
          rows.map((r: { proxy_direction: number; status_code: number | null }) => [r.proxy_direction, r.status_code]),
          [[0, 200], [1, 200], [0, 500], [1, null]],
        );
        assert.equal(SEEDS.filter((s) => s.session === SESSION).length, 4);
      });

      test('analysis: top 10 slowest', async () => {
        const rows = await sql(env.env, SPEC_QUERIES['analysis: Top 10 slowest requests']!);
        assert.deepEqual(
          rows.map((r: { duration_ms: number }) => r.duration_ms),
          [1200, 1100, 800, 400, 300, 300, 200, 100, 50, 20],
        );
      });

      test('analysis: error rate by host', async () => {
        const rows = await sql(env.env, SPEC_QUERIES['analysis: Error rate by host']!);
        const byHost = Object.fromEntries(rows.map((r: { host: string; errors: number; total: number; error_rate: number }) => [r.host, [r.errors, r.total, r.error_rate]]));
        assert.deepEqual(byHost, {
          'example.com': [1, 1, 100],
          '127.0.0.1': [1, 7, 14.29],
          'api.anthropic.com': [0, 2, 0],
          'api.openai.com': [0, 1, 0],
          'mcp.example.com': [0, 1, 0],
        });
        assert.deepEqual(rows.slice(0, 2).map((r: { host: string }) => r.host), ['example.com', '127.0.0.1']);
      });

      test('analysis: traffic breakdown by direction', async () => {
        const rows = await sql(env.env, SPEC_QUERIES['analysis: Traffic breakdown by direction']!);
        const fwd = 'forward (LiteLLM→provider)';
        assert.deepEqual(rows.slice(0, 3), [
          { direction: 'reverse (client→LiteLLM)', traffic_type: 'llm', requests: 6, avg_duration_ms: 416.67 },
          { direction: 'reverse (client→LiteLLM)', traffic_type: 'other', requests: 1, avg_duration_ms: 2 },
          { direction: fwd, traffic_type: 'llm', requests: 3, avg_duration_ms: 635 },
        ]);
        // mcp and web tie on requests: the query leaves their order open.
        assert.deepEqual(
          rows.slice(3).sort((a: { traffic_type: string }, b: { traffic_type: string }) => a.traffic_type.localeCompare(b.traffic_type)),
          [
            { direction: fwd, traffic_type: 'mcp', requests: 1, avg_duration_ms: 20 },
            { direction: fwd, traffic_type: 'web', requests: 1, avg_duration_ms: 50 },
          ],
        );
      });

      test('analysis: recent LLM calls with session tracking', async () => {
        const rows = await sql(env.env, SPEC_QUERIES['analysis: Recent LLM API calls with session tracking']!);
        assert.equal(rows.length, 9);
        assert.deepEqual(Object.keys(rows[0]), ['host', 'method', 'status_code', 'duration_ms', 'session_id', 'proxy_direction', 'start_time']);
        assert.deepEqual([rows[0].session_id, rows.at(-1).session_id], ['s-other', SESSION]);
      });

      test('the readable table shows the same result', async () => {
        const r = await runCli(['db', 'sql', SPEC_QUERIES['analysis: Top 10 slowest requests']!], env.env);
        assert.equal(r.code, 0, r.stderr);
        const lines = r.stdout.trimEnd().split('\n');
        assert.match(lines[0]!, /^\s*url\s*\|\s*duration_ms\s*\|\s*status_code\s*\|\s*proxy_direction\s*$/);
        assert.match(lines[2]!, /http:\/\/127\.0\.0\.1:4000\/v1\/messages\s*\|\s*1200 \|\s*200 \|\s*0$/);
        assert.equal(lines.at(-1), '(10 rows)');
      });

      test('cleanup: the 30-day DELETE removes the two old traces', async () => {
        const r = await runCli(['db', 'sql', SPEC_QUERIES['cleanup: older than 30 days']!], env.env);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'DELETE 2');
        assert.deepEqual(await sql(env.env, 'SELECT count(*) AS n FROM "CCProxy_HttpTraces"'), [{ n: SEEDS.length - 2 }]);
      });

      test('db prune --older-than deletes by age', async () => {
        // Two messages of a connection whose upgrade is one of those traces: they go with it, however recent.
        const ins = await runCli(['db', 'sql', `INSERT INTO "CCProxy_WebSocketMessages" (trace_id, seq, direction, at, opcode, size, payload)
          VALUES ('r0-1', 0, 0, NOW() AT TIME ZONE 'UTC', 1, 7, 'hello'), ('r0-1', 1, 1, NOW() AT TIME ZONE 'UTC', 8, 4, '\\x03e8')`], env.env);
        assert.equal(ins.code, 0, ins.stderr);
        const r = await runCli(['db', 'prune', '--older-than', '1s'], env.env);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `deleted ${SEEDS.length - 2} traces and 2 WebSocket messages older than 1s`, 'the 30-day cleanup test ran first');
        const bad = await runCli(['db', 'prune', '--older-than', 'thirty days'], env.env);
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /invalid age "thirty days": expected a number and a unit, like 30d/);
      });

      test('SQL mistakes are reported like psql, with the position', async () => {
        const r = await runCli(['db', 'sql', 'SELECT nosuch FROM "CCProxy_HttpTraces"'], env.env);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^ccproxy: SQL error: column "nosuch" does not exist \(SQLSTATE 42703\)\nLINE 1: SELECT nosuch/);
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      });

      if (backend.name === 'embedded') {
        test('db url prints the loopback URL of the holder; psql-style clients reach it', async () => {
          const r = await runCli(['db', 'url'], env.env);
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stdout.trim(), /^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
          const { default: pg } = await import('pg');
          const c = new pg.Client(r.stdout.trim());
          await c.connect();
          const res = await c.query('SELECT count(*)::int AS n FROM "CCProxy_HttpTraces"');
          await c.end();
          assert.equal(res.rows[0].n, 0);
        });
      }
    });
  });
}

const serverSkipReason = await serverSkip();

describe('bad settings get one clear message and a non-zero exit', () => {
  const cfg = tempConfigDir();
  after(() => cfg.remove());
  const base = { CCPROXY_CONFIG_DIR: cfg.dir };

  test('a refused connection names the address and the variable it came from', async () => {
    const r = await runCli(['db', 'sql', 'SELECT 1'], { ...base, CCPROXY_DATABASE_URL: 'postgresql://ccproxy:secret@127.0.0.1:1/ccproxy' });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'ccproxy: database error: connection refused by 127.0.0.1:1 — is PostgreSQL running there?\n' +
        '  database: postgresql://ccproxy:***@127.0.0.1:1/ccproxy (from CCPROXY_DATABASE_URL)\n',
    );
  });

  test('DATABASE_URL is the fallback, and is named as the source', async () => {
    const r = await runCli(['db', 'push'], { ...base, DATABASE_URL: 'postgresql://x@127.0.0.1:1/y' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\(from DATABASE_URL\)\n$/);
  });

  test('a URL that is not PostgreSQL', async () => {
    const r = await runCli(['db', 'push'], { ...base, CCPROXY_DATABASE_URL: 'mysql://root@localhost/db' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^ccproxy: invalid database URL "mysql:\/\/root@localhost\/db" \(from CCPROXY_DATABASE_URL\): scheme "mysql" is not postgresql/);
  });

  test('the URL from ccproxy.yaml is named with its file; the environment overrides it', async () => {
    writeFileSync(`${cfg.dir}/ccproxy.yaml`, 'ccproxy:\n  mitm:\n    database_url: "postgresql://u:pw@127.0.0.1:1/fromfile"\n');
    const r = await runCli(['db', 'push'], base);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`\\(from ${cfg.dir}/ccproxy\\.yaml \\(ccproxy\\.mitm\\.database_url\\)\\)\\n$`));
    assert.doesNotMatch(r.stderr, /pw/);
    const env = await runCli(['db', 'push'], { ...base, CCPROXY_DATABASE_URL: 'postgresql://u@127.0.0.1:2/fromenv' });
    assert.match(env.stderr, /127\.0\.0\.1:2\/fromenv \(from CCPROXY_DATABASE_URL\)/);
  });

  test('an invalid ccproxy.yaml names the file, line and field', async () => {
    writeFileSync(`${cfg.dir}/ccproxy.yaml`, 'ccproxy:\n  mitm:\n    port: 8081\n    queue_size: lots\n    retension_days: 3\n');
    const r = await runCli(['db', 'push'], base);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`${cfg.dir}/ccproxy\\.yaml:4: ccproxy\\.mitm\\.queue_size: Invalid input: expected number, received string`));
    assert.match(r.stderr, new RegExp(`${cfg.dir}/ccproxy\\.yaml:5: ccproxy\\.mitm\\.retension_days: unknown field`));
    writeFileSync(`${cfg.dir}/ccproxy.yaml`, 'ccproxy:\n  mitm: [\n');
    const y = await runCli(['db', 'push'], base);
    assert.equal(y.code, 1);
    assert.match(y.stderr, /ccproxy\.yaml:\d+:\d+: invalid YAML/);
    rmSync(`${cfg.dir}/ccproxy.yaml`);
  });

  describe('on the server', { skip: serverSkipReason }, () => {
    test('a database that does not exist', async () => {
      const u = new URL(SERVER_URL);
      u.pathname = '/ccproxy_no_such_db';
      const r = await runCli(['db', 'push'], { ...base, CCPROXY_DATABASE_URL: u.toString() });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^ccproxy: database error: database "ccproxy_no_such_db" does not exist \(create it with: createdb/);
    });

    test('a role that does not exist', async () => {
      const u = new URL(SERVER_URL);
      u.username = 'ccproxy_no_such_role';
      const r = await runCli(['db', 'push'], { ...base, CCPROXY_DATABASE_URL: u.toString() });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^ccproxy: database error: access refused for user "ccproxy_no_such_role"/);
    });
  });
});
