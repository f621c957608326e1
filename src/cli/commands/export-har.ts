// `ccproxy export har [FILTER] -o FILE`: the stored exchanges (those FILTER matches) as a HAR 1.2 file.
import { createRequire } from 'node:module';
import { loadConfig } from '../../config/load.js';
import { UserError } from '../../errors.js';
import { compileFilter } from '../../read/filter.js';
import { exportHarFile, OutputClosed } from '../../read/har.js';
import { readFlows } from '../../read/read-flows.js';
import { explainDbError, isConnectionError, openDatabase, withClient } from '../../store/database.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  usage: 'ccproxy export har [FILTER] -o <file>   (-o - writes to standard output)',
  details:
    'FILTER selects traces in the filter language (mitmproxy operators ~d ~u ~m ~c ~h ~b ~t ~e, and ~session ~dir ~type ~model ~tool ~cost ~tokens ~ms; e.g. "~session abc & ~c 200"); without one, every trace.\n' +
    'Entries are in start order, with timings, bodies (text or base64), SSE events (_sse) and WebSocket messages (_webSocketMessages).',
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { output: { type: 'string', short: 'o' } }, this.usage);
    if (!values.output) throw new UserError(`-o <file> is required\nusage: ${this.usage}`, 2);
    if (positionals.length > 1) throw new UserError(`one FILTER expression (quote it)\nusage: ${this.usage}`, 2);
    // Compiled before the database is opened: a bad expression is a usage error, whatever the database's state.
    const filter = positionals.length === 1 ? compileFilter(positionals[0]!, { alias: 't' }) : null;
    const version = (createRequire(import.meta.url)('../../../../package.json') as { version: string }).version;
    const db = await openDatabase(loadConfig(), { transient: true });
    try {
      const count = await withClient(db.pool, (client) => exportHarFile(readFlows(client, filter ? { sql: filter.where, params: filter.values } : undefined), values.output!, { name: 'ccproxy', version })).catch((err) => {
        // The reader of standard output has what it wanted (`| head`): done, as other commands are.
        if (err instanceof OutputClosed) return null;
        throw isConnectionError(err) ? explainDbError(err, db) : err;
      });
      if (count === null) return 0;
      const line = `wrote ${count} ${count === 1 ? 'entry' : 'entries'}${values.output === '-' ? '' : ` to ${values.output}`}`;
      if (values.output === '-') process.stderr.write(`${line}\n`);
      else console.log(line);
      return 0;
    } finally {
      await db.close();
    }
  },
};
export default command;
