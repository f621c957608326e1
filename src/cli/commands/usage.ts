// `ccproxy usage [daily|weekly|monthly|session|model|blocks]`: what the recorded LLM calls cost, a thin adapter over
// src/read/usage-report.ts (the SQL, the sums, the JSON) and usage-render.ts (the table).
import { loadConfig } from '../../config/load.js';
import { UserError } from '../../errors.js';
import { explainDbError, isConnectionError, openDatabase } from '../../store/database.js';
import { BAD_ARGUMENTS, checkRange, parseBound, parseReport, parseTimeZone, REPORTS } from '../../read/usage-options.js';
import { renderReport } from '../../read/usage-render.js';
import { reportJson, usageReport } from '../../read/usage-report.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  usage: `ccproxy usage [${REPORTS.join('|')}] [--since D] [--until D] [--timezone TZ] [--json]`,
  details: [
    'Reports (default daily): daily, weekly (Monday to Sunday), monthly, session (by session id, with the client',
    'and its first and last call), model (by the model that served the call), blocks (the 5-hour windows Claude\'s',
    'limits count, with the last quota utilisation seen in each).',
    '',
    '  --since D      calls from D on: a date YYYY-MM-DD (from its midnight) or an age such as 7d, 12h, 2w',
    '  --until D      calls up to D: a date (through its end) or an age (before that long ago)',
    '  --timezone TZ  count days in this IANA time zone (default: this machine\'s, TZ when set)',
    '  --json         one JSON object shaped like ccusage\'s reports (see the README)',
    '',
    'Each call is counted once (the view "CCProxy_LlmCalls"). Calls that could not be priced are counted and',
    'their reason said, never priced as zero.',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      { since: { type: 'string' }, until: { type: 'string' }, timezone: { type: 'string' }, json: { type: 'boolean', short: 'j' } },
      this.usage,
    );
    if (positionals.length > 1) throw new UserError(`one report at a time, got ${positionals.join(' ')}\nusage: ${this.usage}`, BAD_ARGUMENTS);
    const opts = {
      report: parseReport(positionals[0]),
      timeZone: parseTimeZone(values.timezone),
      since: values.since === undefined ? null : parseBound(values.since, '--since'),
      until: values.until === undefined ? null : parseBound(values.until, '--until'),
    };
    checkRange(opts.since, opts.until, values.since, values.until);
    const db = await openDatabase(loadConfig(), { transient: true });
    try {
      const report = await usageReport(db.pool, opts).catch((err: unknown) => {
        throw isConnectionError(err) ? explainDbError(err, db) : err;
      });
      console.log(values.json ? JSON.stringify(reportJson(report), null, 2) : renderReport(report));
      return 0;
    } finally {
      await db.close();
    }
  },
};
export default command;
