// `ccproxy restart [--mitm] [--detach]`: check the configuration, stop, then start. Without flags it starts the
// way the running one runs (with or without capture, detached or not), since a flag cannot say "as before".
// A configuration with problems is refused before anything is stopped, so a typo never takes ccproxy down.
import { restartCcproxy, START_FLAGS } from '../../daemon/launch.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  usage: 'ccproxy restart [--mitm] [--detach|-d] [--port N] [--host ADDR]',
  async run(argv) {
    const { values } = parseFlags(argv, START_FLAGS, this.usage, false);
    return restartCcproxy({ mitm: values.mitm, detach: values.detach, port: values.port, host: values.host });
  },
};
export default command;
