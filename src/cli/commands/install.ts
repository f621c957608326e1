// `ccproxy install [--force]`: writes commented ccproxy.yaml and config.yaml into the config directory to start
// from. An existing file is kept unless --force says otherwise; keeping one is reported, not an error, so
// `ccproxy install && ccproxy start …` can be run again as it is.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { configDir, paths } from '../../config/paths.js';
import { CCPROXY_YAML, CONFIG_YAML } from '../../config/templates.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  usage: 'ccproxy install [--force]',
  async run(argv) {
    const { values } = parseFlags(argv, { force: { type: 'boolean' } }, this.usage, false);
    const dir = configDir();
    mkdirSync(dir, { recursive: true });
    let kept = 0;
    for (const [file, text] of [
      [paths.configFile(dir), CCPROXY_YAML],
      [paths.modelsFile(dir), CONFIG_YAML],
    ] as const) {
      if (existsSync(file) && !values.force) {
        console.log(`kept ${file}: it exists (ccproxy install --force overwrites it)`);
        kept++;
        continue;
      }
      const existed = existsSync(file);
      writeFileSync(file, text);
      console.log(`${existed ? 'overwrote' : 'wrote'} ${file}`);
    }
    if (kept === 0) console.log(`next: ccproxy start --mitm --detach, then ccproxy run <command>`);
    return 0;
  },
};
export default command;
