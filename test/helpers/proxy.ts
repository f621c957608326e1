// Runs `ccproxy mitm start` as a user would and reads the rows it writes.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase, type Database } from '../../src/store/database.js';
import { startCli } from './cli.js';
import { configFor, createTempDatabase, serverAvailable, tempConfigDir } from './pg.js';

export interface RunningCapture {
  url: string;
  port: number;
  /** The capture process's id (to read its memory from /proc, say). */
  pid: number;
  db: Database;
  stderr: string[];
  /** Rows whose exchange has ended (end_time set), polled until `n` match or 10 s pass. */
  rows(where: string, n?: number): Promise<any[]>;
  stop(): Promise<number | null>;
  /** Ctrl-C, the database left open to read what the process wrote before it exited; its exit code. */
  interrupt(): Promise<number | null>;
}

/** A started `ccproxy mitm start`: where it listens, and every line it prints (stderr's also apart). */
export interface LaunchedCapture {
  child: ChildProcess;
  url: string;
  port: number;
  log: string[];
  stderr: string[];
}

/** Starts `ccproxy mitm start --port 0 …args` with `env`; resolves once it says where it listens. */
export async function launchCapture(args: string[], env: Record<string, string>): Promise<LaunchedCapture> {
  const child = startCli(['mitm', 'start', '--port', '0', ...args], env);
  const log: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => (stderr.push(l), log.push(l)));
  const lines = createInterface({ input: child.stdout! });
  const listening = new Promise<RegExpExecArray>((resolve) =>
    lines.on('line', (l) => {
      log.push(l);
      const m = /listening on (http:\/\/[^ ]+:(\d+))/.exec(l);
      if (m) resolve(m);
    }),
  );
  const m = await Promise.race([
    listening,
    once(child, 'exit').then(([code]) => {
      throw new Error(`mitm start exited ${code}: ${log.join('\n')}`);
    }),
  ]);
  return { child, url: m[1]!, port: Number(m[2]), log, stderr };
}

/** A capture proxy on the server database when there is one (fast), else on the embedded one. */
export async function startCapture(args: string[], yaml?: string, extraEnv: Record<string, string> = {}): Promise<RunningCapture & { dir: string }> {
  const cfg = tempConfigDir();
  const tmp = (await serverAvailable()) ? await createTempDatabase() : undefined;
  if (yaml) writeFileSync(`${cfg.dir}/ccproxy.yaml`, yaml);
  const env: Record<string, string> = { CCPROXY_CONFIG_DIR: cfg.dir, ...(tmp ? { CCPROXY_DATABASE_URL: tmp.url } : {}), ...extraEnv };
  const { child, url, port, stderr } = await launchCapture(args, env);
  const db = await openDatabase(configFor(cfg.dir, tmp?.url), { transient: true, migrate: false });
  return {
    dir: cfg.dir,
    url,
    port,
    pid: child.pid!,
    db,
    stderr,
    async rows(where, n = 1) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await db.pool.query(`SELECT * FROM "CCProxy_HttpTraces" WHERE end_time IS NOT NULL AND (${where}) ORDER BY start_time`);
        if (rows.length >= n || Date.now() > deadline) return rows;
        await sleep(50);
      }
    },
    async interrupt() {
      if (child.exitCode === null) child.kill('SIGINT');
      const [code] = child.exitCode === null ? await once(child, 'exit') : [child.exitCode];
      return code as number | null;
    },
    async stop() {
      await db.close();
      if (child.exitCode === null) child.kill('SIGINT');
      const [code] = child.exitCode === null ? await once(child, 'exit') : [child.exitCode];
      await tmp?.drop();
      cfg.remove();
      return code as number | null;
    },
  };
}
