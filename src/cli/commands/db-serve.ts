// `ccproxy db serve`: hold the embedded database open in the foreground so psql can reach it, applying retention.
import { loadConfig } from '../../config/load.js';
import { createLogger } from '../../log.js';
import { openDatabase } from '../../store/database.js';
import { startRetention } from '../../store/prune.js';
import { waitForSignal } from '../../wait-for-signal.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  usage: 'ccproxy db serve',
  async run(argv) {
    parseFlags(argv, {}, this.usage, false);
    const loaded = loadConfig();
    const log = createLogger('database', { debug: loaded.config.ccproxy.mitm.debug });
    const db = await openDatabase(loaded);
    const stopRetention = startRetention(db, loaded.config.ccproxy.mitm.retention_days, log);
    const b = db.backend;
    log.info(`serving ${db.describe()}`);
    console.log(b.kind === 'embedded' ? b.url : b.safeUrl);
    await waitForSignal();
    stopRetention();
    await db.close();
    log.info('stopped');
    return 0;
  },
};
export default command;
