// `ccproxy export curl <trace_id>`: one stored request as a curl command (notes about it on standard error).
import { loadConfig } from '../../config/load.js';
import { UserError } from '../../errors.js';
import { flowToCurl } from '../../read/curl.js';
import { readFlow } from '../../read/read-flows.js';
import { explainDbError, isConnectionError, openDatabase, withClient } from '../../store/database.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  usage: 'ccproxy export curl <trace_id>',
  details: 'Headers and body as stored: credentials are fingerprints unless raw storage (redact: false) was chosen.',
  async run(argv) {
    const { positionals } = parseFlags(argv, {}, this.usage);
    if (positionals.length !== 1) throw new UserError(`one trace id is required\nusage: ${this.usage}`, 2);
    const id = positionals[0]!;
    const db = await openDatabase(loadConfig(), { transient: true });
    try {
      const flow = await withClient(db.pool, (client) => readFlow(client, id)).catch((err) => {
        throw isConnectionError(err) ? explainDbError(err, db) : err;
      });
      if (!flow) throw new UserError(`no trace with id ${id}`, 1);
      const { command: curl, notes } = flowToCurl(flow);
      for (const n of notes) process.stderr.write(`ccproxy: note: ${n}\n`);
      console.log(curl);
      return 0;
    } finally {
      await db.close();
    }
  },
};
export default command;
