#!/usr/bin/env node
// The ccproxy command: a table of subcommands, each in its own module, loaded only when called.
import { createOwnerOnly } from '../config/private-files.js';
import { UserError } from '../errors.js';

export interface Command {
  summary: string;
  usage: string;
  /** More for --help: defaults, where settings come from. */
  details?: string;
  /** Its arguments belong to another program (`ccproxy run`): only a leading --help is ours. */
  passThrough?: boolean;
  run(argv: string[]): Promise<number>;
}

type Loader = () => Promise<{ default: Command }>;

const COMMANDS: Record<string, Loader> = {
  'db push': () => import('./commands/db-push.js'),
  'db sql': () => import('./commands/db-sql.js'),
  'db prune': () => import('./commands/db-prune.js'),
  'db url': () => import('./commands/db-url.js'),
  'db serve': () => import('./commands/db-serve.js'),
  install: () => import('./commands/install.js'),
  start: () => import('./commands/start.js'),
  stop: () => import('./commands/stop.js'),
  restart: () => import('./commands/restart.js'),
  status: () => import('./commands/status.js'),
  logs: () => import('./commands/logs.js'),
  run: () => import('./commands/run.js'),
  route: () => import('./commands/route.js'),
  'mitm start': () => import('./commands/mitm-start.js'),
};

async function help(group?: string): Promise<string> {
  const entries = Object.entries(COMMANDS).filter(([name]) => !group || name.startsWith(`${group} `));
  const rows = await Promise.all(entries.map(async ([name, load]) => [name, (await load()).default.summary] as const));
  const width = Math.max(...rows.map(([n]) => n.length));
  if (group) return [`Usage: ccproxy ${group} <${rows.map(([n]) => n.split(' ')[1]).join('|')}> [options]   (--help after one for its options)`, '', ...rows.map(([n, s]) => `  ${n.padEnd(width)}  ${s}`)].join('\n');
  return [
    'ccproxy — capture LLM API traffic into PostgreSQL',
    '',
    'Usage: ccproxy <command> [options]   (ccproxy <command> --help for its options)',
    '',
    'Commands:',
    ...rows.map(([n, s]) => `  ${n.padEnd(width)}  ${s}`),
    '',
    'Environment (each overrides ccproxy.yaml):',
    '  CCPROXY_CONFIG_DIR            the config directory (default ~/.ccproxy)',
    '  CCPROXY_DATABASE_URL, DATABASE_URL',
    '                                a PostgreSQL server (without one: the embedded database)',
    '  CCPROXY_DEBUG=true            one log line per exchange, counters every 5 s',
    '  CCPROXY_MITM_PORT             the forward capture port (ccproxy.mitm.port, default 8081)',
    '  CCPROXY_MITM_UPSTREAM         where `mitm start` in reverse mode sends requests',
    '  CCPROXY_MITM_MAX_BODY_SIZE    bytes of each body kept (0 = all, up to 64 MiB)',
    '  CCPROXY_MITM_MODE             reverse or forward, for `mitm start`',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(await help());
    return argv.length === 0 ? 1 : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-V') {
    const { createRequire } = await import('node:module');
    console.log((createRequire(import.meta.url)('../../../package.json') as { version: string }).version);
    return 0;
  }
  const two = `${argv[0]} ${argv[1] ?? ''}`.trim();
  const name = COMMANDS[two] ? two : COMMANDS[argv[0]!] ? argv[0]! : null;
  if (!name) {
    const group = Object.keys(COMMANDS).filter((k) => k.startsWith(`${argv[0]} `));
    if (group.length > 0 && (argv[1] === '--help' || argv[1] === '-h')) {
      console.log(await help(argv[0]));
      return 0;
    }
    if (group.length > 0) throw new UserError(`usage: ccproxy ${argv[0]} <${group.map((g) => g.split(' ')[1]).join('|')}> [options]`, 2);
    throw new UserError(`unknown command "${argv.join(' ')}"; run ccproxy --help for the list`, 2);
  }
  // Everything ccproxy writes is owner-only; `run` keeps the user's umask, which the program it starts inherits.
  if (name !== 'run') createOwnerOnly();
  const command = (await COMMANDS[name]!()).default;
  const rest = argv.slice(name.split(' ').length);
  if (command.passThrough ? rest[0] === '--help' || rest[0] === '-h' : rest.includes('--help') || rest.includes('-h')) {
    console.log(`${command.summary}\n\nUsage: ${command.usage}${command.details ? `\n\n${command.details}` : ''}`);
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UserError) {
      process.stderr.write(`ccproxy: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else {
      const debug = /^(1|true|yes|on)$/i.test(process.env.CCPROXY_DEBUG ?? '');
      process.stderr.write(`ccproxy: unexpected error: ${debug ? ((err as Error).stack ?? String(err)) : ((err as Error).message ?? String(err))}\n`);
      process.exitCode = 1;
    }
  },
);
