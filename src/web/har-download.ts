// GET /api/export/har: the exchanges a filter (or a list of ids) selects as a HAR 1.2 download, streamed from a
// database cursor as `ccproxy export har` writes a file (read/har.ts), so memory holds one page whatever the count.
import { createRequire } from 'node:module';
import type http from 'node:http';
import type pg from 'pg';
import { compileFilter } from '../read/filter.js';
import { writeHar } from '../read/har.js';
import { readFlows, type Where } from '../read/read-flows.js';
import { withClient } from '../store/database.js';
import { SECURITY_HEADERS } from './respond.js';

const version = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

export function harWhere(o: { filter: string | null; ids: string[] | null }): Where | undefined {
  if (o.ids) return { sql: 't.trace_id = ANY($1)', params: [o.ids] };
  if (o.filter === null) return undefined;
  const f = compileFilter(o.filter);
  return { sql: f.where, params: f.values };
}

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

export async function exportHar(pool: pg.Pool, o: { filter: string | null; ids: string[] | null }, res: http.ServerResponse): Promise<void> {
  const where = harWhere(o);
  await withClient(pool, async (client) => {
    const flows = readFlows(client, where);
    // The first page is read before the head goes out, so a database error is still an error answer.
    const first = await flows.next();
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-disposition': `attachment; filename="ccproxy-${stamp(new Date())}.har"` });
    async function* all() {
      if (!first.done) yield first.value;
      yield* flows;
    }
    await writeHar(all(), res, { name: 'ccproxy', version });
    res.end();
  });
}
