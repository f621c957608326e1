// `ccproxy db prune --older-than 30d`: the spec's cleanup, chunked so a running writer is never blocked long.
import { loadConfig } from '../../config/load.js';
import { UserError } from '../../errors.js';
import { explainDbError, openDatabase } from '../../store/database.js';
import { describePruned, parseAge, pruneOlderThan } from '../../store/prune.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  usage: 'ccproxy db prune --older-than <age>',
  async run(argv) {
    const { values } = parseFlags(argv, { 'older-than': { type: 'string' } }, this.usage, false);
    if (!values['older-than']) throw new UserError(`--older-than is required\nusage: ${this.usage}`, 2);
    const seconds = parseAge(values['older-than']);
    const db = await openDatabase(loadConfig(), { transient: true });
    try {
      const pruned = await pruneOlderThan(db, seconds).catch((err) => {
        throw explainDbError(err, db);
      });
      console.log(`deleted ${describePruned(pruned)} older than ${values['older-than']}`);
      return 0;
    } finally {
      await db.close();
    }
  },
};
export default command;
