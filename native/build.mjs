// Builds ccproxy's optional native part (native/malloc-trim) with the node-gyp that npm ships, as part of
// `npm run build`. Without a C compiler it says so in one line and carries on: ccproxy works the same, only its
// background daemon keeps the native memory a burst of traffic freed instead of giving it back when idle.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'malloc-trim');
const npmGyp = join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
const gyp = process.env.npm_config_node_gyp || (existsSync(npmGyp) ? npmGyp : null);
// Node's own headers where this Node.js was installed with them, so nothing is downloaded.
const prefix = join(dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include/node/node_api.h')) ? prefix : null);
const skip = (why) => {
  console.log(`ccproxy: native/malloc-trim not built (${why}); the daemon will not hand freed native memory back when idle`);
  process.exit(0);
};
if (process.platform !== 'linux') skip(`only glibc has malloc_trim, this is ${process.platform}`);
if (!gyp) skip('node-gyp not found next to npm');
const r = spawnSync(process.execPath, [gyp, 'rebuild', '--directory', dir, ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  const last = `${r.stderr}${r.stdout}`.split('\n').filter((l) => /error|ERR!/i.test(l)).slice(0, 3).join(' | ');
  skip(`node-gyp failed: ${last || `exit ${r.status}`}`);
}
