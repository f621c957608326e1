// `ccproxy show <trace_id>`: one exchange in full (rendered by read/show.ts).
import { loadConfig } from '../../config/load.js';
import { UserError } from '../../errors.js';
import { loadTrace, renderTrace } from '../../read/show.js';
import { explainDbError, isConnectionError, openDatabase } from '../../store/database.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  usage: 'ccproxy show <trace_id>   (ids as `ccproxy traces` lists them)',
  async run(argv) {
    const { positionals } = parseFlags(argv, {}, this.usage);
    if (positionals.length !== 1) throw new UserError(`show takes one trace id\nusage: ${this.usage}`, 2);
    const db = await openDatabase(loadConfig(), { transient: true });
    try {
      const trace = await loadTrace(db.pool, positionals[0]!).catch((err: unknown) => {
        throw isConnectionError(err) ? explainDbError(err, db) : err;
      });
      if (!trace) throw new UserError(`no trace with id "${positionals[0]}"`);
      console.log(renderTrace(trace));
      return 0;
    } finally {
      await db.close();
    }
  },
};
export default command;
