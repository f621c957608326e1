// `ccproxy db push`: apply the trace schema to the configured database (the spec's `prisma db push`).
import { loadConfig } from '../../config/load.js';
import { openDatabase } from '../../store/database.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  usage: 'ccproxy db push',
  async run(argv) {
    parseFlags(argv, {}, this.usage, false);
    const db = await openDatabase(loadConfig(), { transient: true });
    try {
      const m = db.migrated!;
      if (m.applied.length === 0) console.log(`schema is up to date (version ${m.version}) in ${db.describe()}`);
      else {
        for (const a of m.applied) console.log(`applied ${a.version}: ${a.name}`);
        console.log(`schema is at version ${m.version} in ${db.describe()}`);
      }
      return 0;
    } finally {
      await db.close();
    }
  },
};
export default command;
