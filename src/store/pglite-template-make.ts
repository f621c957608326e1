// Build step (npm run build): makes the embedded database's template folder with PGlite's own initdb, once per
// PGlite version and settings, so that a user's first start only unpacks it (see pglite-template.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pgliteOpenOptions } from './pglite-settings.js';
import { expectedStamp, tarDir, TEMPLATE_FILE, TEMPLATE_STAMP, templateUsable } from './pglite-template.js';

export async function makeTemplate(): Promise<'made' | 'current'> {
  const { PGlite } = await import('@electric-sql/pglite');
  const options = pgliteOpenOptions(PGlite.defaultStartParams);
  const want = expectedStamp(options.initDbStartParams ?? []);
  if (templateUsable(want)) return 'current';
  const work = mkdtempSync(join(tmpdir(), 'ccproxy-pglite-template-'));
  try {
    const dataDir = join(work, 'pglite');
    const db = await PGlite.create(dataDir, options);
    await db.close(); // a clean shutdown: the folder opens without recovery and holds no postmaster.pid
    writeFileSync(TEMPLATE_FILE, gzipSync(tarDir(dataDir), { level: 9 }));
    writeFileSync(TEMPLATE_STAMP, `${JSON.stringify(want, null, 2)}\n`);
    return 'made';
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const result = await makeTemplate();
if (result === 'made') console.log(`made the embedded database template ${TEMPLATE_FILE}`);
