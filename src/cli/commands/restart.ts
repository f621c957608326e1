// `ccproxy restart [--mitm] [--detach]`: check the configuration, stop, then start. Without flags it starts the
// way the running one runs (with or without capture, detached or not), since a flag cannot say "as before".
// A configuration with problems is refused before anything is stopped, so a typo never takes ccproxy down.
import { loadConfig } from '../../config/load.js';
import { findRunning } from '../../daemon/state.js';
import { UserError } from '../../errors.js';
import { prepareGateway } from '../../gateway/start.js';
import { silentLogger } from '../../log.js';
import { parseFlags } from '../args.js';
import type { Command } from '../main.js';
import { START_OPTIONS, start } from './start.js';
import { stop } from './stop.js';

const command: Command = {
  summary: 'Check the configuration, stop the running ccproxy and start it again (as it ran, unless flags say otherwise)',
  usage: 'ccproxy restart [--mitm] [--detach|-d] [--port N] [--host ADDR]',
  async run(argv) {
    const { values } = parseFlags(argv, START_OPTIONS, this.usage, false);
    const loaded = loadConfig();
    await prepareGateway(loaded, process.env, silentLogger);
    const found = findRunning(loaded.dir);
    const before = found.running ? found.state : null;
    const flagsGiven = values.mitm !== undefined || values.detach !== undefined;
    if (!before && !flagsGiven) {
      throw new UserError(`ccproxy is not running (config directory ${loaded.dir}), so there is no way it ran to restart it as; start it with: ccproxy start [--mitm] [--detach]`, 3);
    }
    const code = await stop(loaded.dir);
    if (code !== 0) return code;
    return start({
      mitm: flagsGiven ? (values.mitm ?? false) : (before?.mitm ?? false),
      detach: flagsGiven ? (values.detach ?? false) : (before?.detached ?? false),
      port: values.port,
      host: values.host,
    }, process.env, loaded);
  },
};
export default command;
