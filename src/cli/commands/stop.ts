// `ccproxy stop`: stops the running ccproxy (SIGTERM, the writer drains, SIGKILL after a bounded wait) and
// removes its PID and state files. Nothing running, or a stale PID file, is not an error.
import { stopDaemon, STOP_WAIT_MS } from '../../daemon/stop.js';
import { configDir } from '../../config/paths.js';
import { parseFlags } from '../args.js';
import type { Command } from '../main.js';

/** Stops ccproxy for the config directory and prints what happened; 1 when a port is still open afterwards. */
export async function stop(dir: string): Promise<number> {
  const r = await stopDaemon(dir);
  if (r.notRunning) {
    console.log(r.stalePid !== null ? `ccproxy was not running (removed the stale PID file of process ${r.stalePid})` : 'ccproxy is not running');
    return 0;
  }
  console.log(r.killed ? `ccproxy (pid ${r.pid}) did not stop within ${STOP_WAIT_MS / 1000}s and was killed; queued traces are in the spill file and are replayed on the next start` : `ccproxy stopped (pid ${r.pid})`);
  if (r.openPorts.length > 0) {
    process.stderr.write(`ccproxy: port(s) ${r.openPorts.join(', ')} still accept connections after the process exited; another program holds them\n`);
    return 1;
  }
  return 0;
}

const command: Command = {
  summary: 'Stop the running ccproxy (all components), letting the trace writer drain first',
  usage: 'ccproxy stop',
  async run(argv) {
    parseFlags(argv, {}, this.usage, false);
    return stop(configDir());
  },
};
export default command;
