// `ccproxy restart [--mitm] [--detach]`: stop, then start. Without flags it starts the way the stopped one ran
// (with or without capture, detached or not), since a flag cannot say "as before".
import { findRunning } from '../../daemon/state.js';
import { configDir } from '../../config/paths.js';
import { parseFlags } from '../args.js';
import type { Command } from '../main.js';
import { START_OPTIONS, start } from './start.js';
import { stop } from './stop.js';

const command: Command = {
  summary: 'Stop the running ccproxy and start it again (as it ran before, unless flags say otherwise)',
  usage: 'ccproxy restart [--mitm] [--detach|-d] [--port N] [--host ADDR]',
  async run(argv) {
    const { values } = parseFlags(argv, START_OPTIONS, this.usage, false);
    const dir = configDir();
    const found = findRunning(dir);
    const before = found.running ? found.state : null;
    const flagsGiven = values.mitm !== undefined || values.detach !== undefined;
    const code = await stop(dir);
    if (code !== 0) return code;
    return start({
      mitm: flagsGiven ? (values.mitm ?? false) : (before?.mitm ?? false),
      detach: flagsGiven ? (values.detach ?? false) : (before?.detached ?? false),
      port: values.port,
      host: values.host,
    });
  },
};
export default command;
