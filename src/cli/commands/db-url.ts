// `ccproxy db url`: the connection URL for psql and other clients (the embedded database's loopback port).
import { loadConfigLazily } from '../../config/load-lazily.js';
import { UserError } from '../../errors.js';
import { servingHolder } from '../../store/holder.js';
import { hidePassword } from '../../url-credentials.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  usage: 'ccproxy db url [--show-password]',
  async run(argv) {
    const { values } = parseFlags(argv, { 'show-password': { type: 'boolean' } }, this.usage, false);
    const loaded = await loadConfigLazily();
    const url = loaded.config.ccproxy.mitm.database_url;
    if (url) {
      console.log(values['show-password'] ? url : hidePassword(url));
      return 0;
    }
    const holder = servingHolder(loaded.dir);
    if (!holder) {
      throw new UserError(
        `no ccproxy process is serving the embedded database in ${loaded.dir}; start one with "ccproxy db serve" ` + `(or run queries with "ccproxy db sql")`,
        3,
      );
    }
    console.log(holder.url);
    return 0;
  },
};
export default command;
