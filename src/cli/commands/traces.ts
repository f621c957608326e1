// `ccproxy traces [FILTER] [--limit N] [--json]`: recent exchanges a filter selects, one line (or JSON object) each.
import { loadConfig } from '../../config/load.js';
import { UserError } from '../../errors.js';
import { compileFilter } from '../../read/filter.js';
import { formatTraces, listTraces } from '../../read/traces.js';
import { explainDbError, isConnectionError, openDatabase } from '../../store/database.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  usage: 'ccproxy traces [FILTER] [--limit N] [--json]',
  details: [
    'FILTER is a mitmproxy filter expression (quote it for the shell), e.g.',
    "  ccproxy traces '~d anthropic & ~c 429'     ccproxy traces '~type llm & ~cost >0.1'",
    'Operators: ~d ~u ~m ~c ~h ~hq ~hs ~b ~bq ~bs ~t ~e ~q ~s, and ~session ID, ~dir forward|reverse,',
    '~type llm|mcp|web|other, ~model RE, ~tool RE, ~cost/~tokens/~ms with >, >=, <, <=, =; combine with & | ! ( ).',
    'A bare word is a URL regular expression. Regular expressions ignore case. --limit defaults to 50.',
    '--json prints one JSON object per line.',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { limit: { type: 'string', short: 'n' }, json: { type: 'boolean', short: 'j' } }, this.usage);
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UserError(`--limit takes a positive whole number, not "${values.limit}"\nusage: ${this.usage}`, 2);
    const filter = positionals.length === 0 ? null : positionals.join(' ');
    if (filter !== null && filter.trim() !== '') compileFilter(filter); // a bad filter fails before the database opens
    const db = await openDatabase(loadConfig(), { transient: true });
    try {
      const rows = await listTraces(db.pool, filter, limit).catch((err: unknown) => {
        throw isConnectionError(err) ? explainDbError(err, db) : err;
      });
      if (values.json) for (const r of rows) console.log(JSON.stringify(r));
      else console.log(formatTraces(rows));
      return 0;
    } finally {
      await db.close();
    }
  },
};
export default command;
