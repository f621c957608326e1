// `ccproxy db backfill`: LLM usage rows for traces stored before the usage stage existed (or written by an older
// extractor), read from their stored bodies; running it again writes the same rows. The work is store/backfill.ts.
import { loadConfig } from '../../config/load.js';
import { UserError } from '../../errors.js';
import { backfillUsage, describeBackfill } from '../../store/backfill.js';
import { explainDbError, openDatabase } from '../../store/database.js';
import { PriceBook } from '../../usage/prices.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  usage: 'ccproxy db backfill [--batch-size N] [--reprice]',
  details:
    'Reads stored POST exchanges that have no usage row in CCProxy_LlmUsage (or one from an older extractor), in batches of N (default 200),\nand writes their rows priced with ccproxy.prices over the bundled price table. Idempotent.\n' +
    '--reprice also reads again the calls that were not priced or were priced by ccproxy.prices: run it after adding or changing a price there.',
  async run(argv) {
    const { values } = parseFlags(argv, { 'batch-size': { type: 'string' }, reprice: { type: 'boolean' } }, this.usage, false);
    const reprice = values.reprice === true;
    const batchSize = values['batch-size'] === undefined ? 200 : Number(values['batch-size']);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(`--batch-size must be a positive integer\nusage: ${this.usage}`, 2);
    const loaded = loadConfig();
    const db = await openDatabase(loaded, { transient: true });
    try {
      const r = await backfillUsage(db, new PriceBook(loaded.config.ccproxy.prices ?? {}), { batchSize, reprice }).catch((err) => {
        throw explainDbError(err, db);
      });
      console.log(describeBackfill(r, reprice));
      return 0;
    } finally {
      await db.close();
    }
  },
};
export default command;
