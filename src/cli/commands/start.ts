// `ccproxy start`: the gateway in the foreground on the main port (ccproxy.port, else litellm.port, else 4000),
// logging to the terminal, until Ctrl-C. `--mitm` and `--detach` come with the daemon.
import { ConfigError, loadConfig } from '../../config/load.js';
import { UserError } from '../../errors.js';
import { listenSetting } from '../../gateway/config.js';
import { startGateway } from '../../gateway/start.js';
import { createLogger } from '../../log.js';
import { parseFlags } from '../args.js';
import type { Command } from '../main.js';

const command: Command = {
  summary: 'Run the gateway (rules → model aliases → providers, config.yaml + ccproxy.yaml) in the foreground until Ctrl-C',
  usage: 'ccproxy start [--port N] [--host ADDR]',
  async run(argv) {
    const { values } = parseFlags(argv, { port: { type: 'string', short: 'p' }, host: { type: 'string' } }, this.usage, false);
    const loaded = loadConfig();
    const listenAt = listenSetting(loaded);
    if (values.port !== undefined) {
      const n = Number(values.port);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UserError(`--port ${values.port}: expected a port number from 0 to 65535`, 2);
      listenAt.port = n;
      listenAt.portSource = '--port';
    }
    if (values.host !== undefined) listenAt.host = values.host;
    const cfg = loaded.config.ccproxy;
    const log = createLogger('gateway', { debug: cfg.debug === true || cfg.mitm.debug });
    let gw;
    try {
      gw = await startGateway({ loaded, host: listenAt.host, port: listenAt.port, logger: log });
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(`${err.message}\nccproxy start: not started`);
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') throw new UserError(`port ${listenAt.port} on ${listenAt.host} is in use (from ${listenAt.portSource}); choose another with --port or ccproxy.port`);
      if (e.code === 'EADDRNOTAVAIL') throw new UserError(`cannot listen on ${listenAt.host}: no such local address (ccproxy.host or --host)`);
      throw err;
    }
    console.log(`ccproxy gateway listening on ${gw.url}${gw.proxy ? `; provider calls go through ${gw.proxy}` : ''}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log.info('stopping: closing the listener');
    await gw.close();
    return 0;
  },
};
export default command;
