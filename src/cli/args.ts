// Flag parsing for commands, on node:util's parseArgs, with usage errors a user can act on.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../errors.js';

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, usage: string, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UserError(`${(err as Error).message.replace(/\. To specify.*$/s, '')}\nusage: ${usage}`, 2);
  }
}
