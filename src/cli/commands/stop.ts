// `ccproxy stop`: stops the running ccproxy (SIGTERM, the writer drains, SIGKILL after a bounded wait) and
// removes its PID and state files. Nothing running, or a stale PID file, is not an error.
import { configDir } from '../../config/paths.js';
import { stopCcproxy } from '../../daemon/stop.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  usage: 'ccproxy stop',
  async run(argv) {
    parseFlags(argv, {}, this.usage, false);
    return stopCcproxy(configDir());
  },
};
export default command;
