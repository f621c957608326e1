// The benchmarks' processes: servers started as child processes (the upstream, the passthrough, ccproxy itself)
// and awaited until they print that they are ready, and the load generators run once each, whose one line of JSON
// on stdout is the result. Every child still running when the benchmark process exits is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

const everyChild = new Set<ChildProcess>();
process.on('exit', () => everyChild.forEach((c) => c.kill('SIGKILL')));

/** The children one benchmark started, stopped together at its end. */
export class Processes {
  readonly children: ChildProcess[] = [];

  /** Keeps a child started elsewhere, so that stop() and the exit handler reach it too. */
  adopt(child: ChildProcess): ChildProcess {
    this.children.push(child);
    everyChild.add(child);
    child.once('exit', () => everyChild.delete(child));
    return child;
  }

  /**
   * Starts `cmd` and waits for the first stdout line matching `ready` (any line when not given); a child that
   * exits first fails with what it wrote on stderr.
   */
  async start(cmd: string, args: string[], env: Record<string, string> = {}, ready?: RegExp): Promise<{ child: ChildProcess; line: string }> {
    const child = this.adopt(spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    const errs: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (l) => errs.push(l));
    for await (const line of createInterface({ input: child.stdout! })) if (!ready || ready.test(line)) return { child, line };
    throw new Error(`${cmd} ${args.join(' ')} exited: ${errs.join('\n')}`);
  }

  stop(signal: NodeJS.Signals = 'SIGINT'): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
  }
}

/** Runs a load generator of bench/ (compiled beside this file) to its end; its JSON line is the result. */
export async function runJson<T>(script: string, args: string[]): Promise<T> {
  const child = spawn(process.execPath, [here(script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  await once(child, 'exit');
  return JSON.parse(out) as T;
}

/** What bench/load.ts prints: a throughput run, or (with --ttfb) SSE first-byte times. */
export interface LoadResult {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
  ttfb: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  /** An HTTP(S) proxy to send through, and the CA to trust. */
  proxy?: string;
  ca?: string;
  extra?: string[];
}

/** bench/load.ts against `url`: keep-alive connections posting 1 KB JSON for `seconds`. */
export function load(o: LoadOptions): Promise<LoadResult> {
  const args = [`--url=${o.url}`, `--connections=${o.connections}`, `--seconds=${o.seconds}`, ...(o.extra ?? [])];
  if (o.proxy) args.push(`--proxy=${o.proxy}`);
  if (o.ca) args.push(`--ca=${o.ca}`);
  return runJson<LoadResult>('./load.js', args);
}
