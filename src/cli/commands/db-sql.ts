// `ccproxy db sql "<SQL>"`: run any statements on the configured database, embedded or server.
import { readFileSync } from 'node:fs';
import type { QueryArrayResult } from 'pg';
import { loadConfig } from '../../config/load.js';
import { UserError } from '../../errors.js';
import { explainDbError, isConnectionError, openDatabase } from '../../store/database.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { rawTypes, resultToJson, resultToTable } from '../render.js';

const command: Command = {
  usage: 'ccproxy db sql [--json] "<SQL>" | --file <path> | -   (- reads standard input)',
  async run(argv) {
    // SQL often starts with a "-- comment": an argument with white space in it is SQL, never a flag.
    const isSql = (a: string) => /\s/.test(a.trim()) || !a.startsWith('-') || a === '-';
    const flags = argv.filter((a, i) => !isSql(a) || (i > 0 && ['--file', '-f'].includes(argv[i - 1]!)));
    const sqlArgs = argv.filter((a) => !flags.includes(a));
    const { values, positionals } = parseFlags([...flags, '--', ...sqlArgs], { json: { type: 'boolean', short: 'j' }, file: { type: 'string', short: 'f' } }, this.usage);
    const sql = readSql(positionals, values.file, this.usage);
    const db = await openDatabase(loadConfig(), { transient: true });
    try {
      let results: QueryArrayResult | QueryArrayResult[];
      try {
        results = (await db.pool.query({ text: sql, rowMode: 'array', types: rawTypes })) as unknown as QueryArrayResult | QueryArrayResult[];
      } catch (err) {
        if (isConnectionError(err)) throw explainDbError(err, db);
        throw new UserError(sqlError(err, sql));
      }
      const list = Array.isArray(results) ? results : [results];
      if (values.json) {
        const json = list.length === 1 ? resultToJson(list[0]!) : list.map(resultToJson);
        console.log(JSON.stringify(json, null, 2));
      } else {
        console.log(list.map(resultToTable).join('\n\n'));
      }
      return 0;
    } finally {
      await db.close();
    }
  },
};
export default command;

function readSql(positionals: string[], file: string | undefined, usage: string): string {
  if (file) {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new UserError(`cannot read ${file}: ${(err as Error).message}`);
    }
  }
  if (positionals.length === 1 && positionals[0] === '-') return readFileSync(0, 'utf8');
  if (positionals.length === 0) throw new UserError(`no SQL given\nusage: ${usage}`, 2);
  return positionals.join(' ');
}

/** Like psql: the message, the SQLSTATE, and the line with a caret under the error's position. */
function sqlError(err: unknown, sql: string): string {
  const e = err as { message?: string; code?: string; position?: string; hint?: string; detail?: string };
  const parts = [`SQL error: ${e.message ?? String(err)}${e.code ? ` (SQLSTATE ${e.code})` : ''}`];
  if (e.detail) parts.push(`DETAIL: ${e.detail}`);
  if (e.hint) parts.push(`HINT: ${e.hint}`);
  const pos = Number(e.position);
  if (pos > 0) {
    const before = sql.slice(0, pos - 1);
    const lineNo = before.split('\n').length;
    const lineText = sql.split('\n')[lineNo - 1] ?? '';
    const col = before.length - before.lastIndexOf('\n') - 1;
    parts.push(`LINE ${lineNo}: ${lineText}`, `${' '.repeat(`LINE ${lineNo}: `.length + col)}^`);
  }
  return parts.join('\n');
}
