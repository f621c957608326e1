// `ccproxy logs [-f] [-n N] [component]`: the detached ccproxy's log (ccproxy.log in the config directory),
// optionally only one component's lines (each line carries `[component]`), and with -f new lines as they come.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { lineFilter } from '../../components.js';
import { configDir, paths } from '../../config/paths.js';
import { UserError } from '../../errors.js';
import { waitForSignal } from '../../wait-for-signal.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const FOLLOW_POLL_MS = 250;

const command: Command = {
  usage: 'ccproxy logs [-f|--follow] [-n N] [gateway|reverse|forward|database|daemon]',
  details: '-n N: the last N lines (default 50). The log is <config dir>/ccproxy.log; `database` includes the writer and retention lines.',
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { follow: { type: 'boolean', short: 'f' }, lines: { type: 'string', short: 'n' } }, this.usage);
    if (positionals.length > 1) throw new UserError(`usage: ${this.usage}`, 2);
    const n = values.lines === undefined ? 50 : Number(values.lines);
    if (!Number.isInteger(n) || n < 0) throw new UserError(`-n ${values.lines}: expected a whole number of lines`, 2);
    const keep = lineFilter(positionals[0]);
    const file = paths.logFile(configDir());
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`no log yet: ${file} is written by ccproxy start --detach (in the foreground the lines go to the terminal)`);
      throw err;
    }
    let offset = Buffer.byteLength(text);
    const lines = text.split('\n');
    let partial = lines.pop() ?? '';
    const shown = lines.filter(keep);
    if (n > 0) for (const l of shown.slice(-n)) process.stdout.write(`${l}\n`);
    if (!values.follow) return 0;

    let stop = false;
    void waitForSignal().then(() => (stop = true));
    while (!stop) {
      await sleep(FOLLOW_POLL_MS);
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        continue;
      }
      if (size < offset) {
        offset = 0; // truncated or replaced: read it again from the start
        partial = '';
      }
      if (size === offset) continue;
      const buf = Buffer.alloc(size - offset);
      const fd = openSync(file, 'r');
      try {
        readSync(fd, buf, 0, buf.length, offset);
      } finally {
        closeSync(fd);
      }
      offset = size;
      const more = (partial + buf.toString('utf8')).split('\n');
      partial = more.pop() ?? '';
      for (const l of more) if (keep(l)) process.stdout.write(`${l}\n`);
    }
    return 0;
  },
};
export default command;
