// `ccproxy run <command> [args…]`: runs a client through the running ccproxy (base URLs at the main entry;
// with capture, HTTPS_PROXY at the forward capture and trust in the ccproxy CA). Arguments pass untouched, the
// child's exit code is ours, a child killed by a signal makes us exit 128+n, and signals sent to us go to it.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { configDir, paths } from '../../config/paths.js';
import { UserError } from '../../errors.js';
import { clientEnv, writeCombinedBundle } from '../../daemon/client-env.js';
import { findRunning } from '../../daemon/state.js';
import { loadMasterKey } from '../../gateway/settings.js';
import type { Command } from '../command.js';

/** Passed on to the child. SIGINT only when we have no terminal: from a terminal it reaches the child directly. */
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

const command: Command = {
  usage: 'ccproxy run <command> [args…]   (everything after the command is passed to it untouched; `--` is optional)',
  passThrough: true,
  async run(argv) {
    const args = argv[0] === '--' ? argv.slice(1) : argv;
    if (args.length === 0) throw new UserError(`usage: ${this.usage}`, 2);
    const dir = configDir();
    const found = findRunning(dir);
    if (!found.running || !found.state) {
      throw new UserError(`ccproxy is not running${found.running ? ' yet (still starting)' : ''} in ${dir}; start it first: ccproxy start --mitm --detach`);
    }
    const state = found.state;
    const bundle = state.mitm && state.caCert ? writeCombinedBundle(paths.caBundle(dir), state.caCert, process.env) : null;
    const [cmd, ...rest] = args as [string, ...string[]];
    const env = clientEnv(state, bundle, process.env, { command: cmd, cwd: process.cwd() }, loadMasterKey(dir, process.env));
    const child = spawn(cmd, rest, { stdio: 'inherit', env });
    const relay = (sig: NodeJS.Signals) => () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    };
    const handlers = new Map<NodeJS.Signals, () => void>();
    for (const sig of [...FORWARDED, ...(process.stdin.isTTY ? [] : (['SIGINT'] as NodeJS.Signals[]))]) handlers.set(sig, relay(sig));
    // From a terminal, Ctrl-C reaches the child itself; we wait for it to decide what to do.
    if (process.stdin.isTTY) handlers.set('SIGINT', () => {});
    for (const [sig, h] of handlers) process.on(sig, h);
    return new Promise<number>((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) => {
        for (const [sig, h] of handlers) process.off(sig, h);
        if (err.code === 'ENOENT') reject(new UserError(`${cmd}: command not found (is it installed and on PATH?)`, 127));
        else if (err.code === 'EACCES') reject(new UserError(`${cmd}: permission denied (not executable)`, 126));
        else reject(err);
      });
      child.once('exit', (code, signal) => {
        for (const [sig, h] of handlers) process.off(sig, h);
        resolve(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1));
      });
    });
  },
};
export default command;
