// Builds ccproxy's optional native parts with the node-gyp that npm ships, as part of `npm run build`. Without a C
// compiler each says so in one line and the build carries on: ccproxy works the same without them.
// - native/malloc-trim: the background daemon gives the native memory a burst of traffic freed back when idle.
// - native/journal-map: the crash journal is written into a shared memory mapping of its file instead of with one
//   write() per callback (src/store/journal-file.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const npmGyp = join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
const gyp = process.env.npm_config_node_gyp || (existsSync(npmGyp) ? npmGyp : null);
// Node's own headers where this Node.js was installed with them, so nothing is downloaded.
const prefix = join(dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include/node/node_api.h')) ? prefix : null);

const addons = [
  { name: 'malloc-trim', without: 'the daemon will not hand freed native memory back when idle', platforms: ['linux'], why: 'only glibc has malloc_trim' },
  { name: 'journal-map', without: 'the crash journal is written with one write() per callback instead', platforms: ['linux'], why: 'it allocates the file with posix_fallocate' },
];

for (const a of addons) {
  const skip = (why) => console.log(`ccproxy: native/${a.name} not built (${why}); ${a.without}`);
  if (!a.platforms.includes(process.platform)) {
    skip(`${a.why}, this is ${process.platform}`);
    continue;
  }
  if (!gyp) {
    skip('node-gyp not found next to npm');
    continue;
  }
  const r = spawnSync(process.execPath, [gyp, 'rebuild', '--directory', join(here, a.name), ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) {
    const last = `${r.stderr}${r.stdout}`.split('\n').filter((l) => /error|ERR!/i.test(l)).slice(0, 3).join(' | ');
    skip(`node-gyp failed: ${last || `exit ${r.status}`}`);
  }
}
