// `ccproxy ui [--no-open] [--port N]`: the viewer. With a ccproxy running that serves it, print a fresh sign-in
// link from it (asked on its control port) and open a browser; otherwise serve it here, against the configured
// database, until Ctrl-C.
import { loadConfig } from '../../config/load.js';
import { UserError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { waitForSignal } from '../../wait-for-signal.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  usage: 'ccproxy ui [--no-open] [--port N]',
  details: [
    'Prints a link to the viewer (sessions, exchanges, conversations, live) and opens it in a browser where one can',
    'be opened. The link signs one browser in, once, within a minute; run ccproxy ui again for another.',
    'With a ccproxy running (start --mitm), it serves the viewer on its own loopback port (ccproxy.ui.port,',
    '0 = a free port) and this command prints a link and exits. Otherwise the viewer runs here, against the',
    'configured database, on --port (default: ccproxy.ui.port, else a free port) until Ctrl-C.',
  ].join('\n'),
  async run(argv) {
    const { values } = parseFlags(argv, { 'no-open': { type: 'boolean' }, port: { type: 'string', short: 'p' } }, this.usage, false);
    const port = values.port === undefined ? null : Number(values.port);
    if (port !== null && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UserError(`--port takes a port number from 0 to 65535, not "${values.port}"\nusage: ${this.usage}`, 2);
    const loaded = loadConfig();
    const show = async (url: string) => {
      console.log(url);
      if (!values['no-open']) (await import('../../web/browser.js')).openBrowser(url);
    };

    const { findRunning } = await import('../../daemon/state.js');
    const found = findRunning(loaded.dir);
    if (found.running && found.state?.components.viewer) {
      const link = await (await import('../../daemon/control.js')).requestViewerLink(found.state.controlPort);
      if (!link) throw new UserError(`the running ccproxy (pid ${found.pid}) did not hand out a viewer link on its control port ${found.state.controlPort}`);
      if (port !== null && port !== found.state.components.viewer.port) console.error(`ccproxy: the running ccproxy serves the viewer on port ${found.state.components.viewer.port}; --port ${port} applies only when ccproxy ui serves it itself`);
      await show(link);
      return 0;
    }

    const log = createLogger('viewer', { debug: loaded.config.ccproxy.mitm.debug });
    const { openDatabase } = await import('../../store/database.js');
    const { openViewer } = await import('../../web/open.js');
    const db = await openDatabase(loaded);
    let viewer;
    try {
      viewer = await openViewer(db, { port: port ?? loaded.config.ccproxy.ui.port, portSource: port !== null ? '--port' : 'ccproxy.ui.port', log, prices: loaded.config.ccproxy.prices });
    } catch (err) {
      await db.close();
      throw err;
    }
    log.info(`serving the viewer of ${db.describe()} on ${viewer.url} until Ctrl-C`);
    await show(viewer.link());
    await waitForSignal();
    await viewer.close();
    await db.close();
    return 0;
  },
};
export default command;
