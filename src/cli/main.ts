#!/usr/bin/env node
// The ccproxy command: a table of subcommands, each in its own module, loaded only when called.
import { createOwnerOnly } from '../config/private-files.js';
import { UserError } from '../errors.js';
import type { Command } from './command.js';

/** A command's name (one or two words), its one-line summary, and how to load its module. */
interface Entry {
  summary: string;
  load: () => Promise<{ default: Command }>;
}

// The summaries are here, not in the modules, so that --help loads no command module (and none of the
// libraries they import): it runs about as fast as Node starts.
const COMMANDS: Record<string, Entry> = {
  'db push': {
    summary: 'Create or upgrade the trace tables (CCProxy_HttpTraces and its companions) in the configured database',
    load: () => import('./commands/db-push.js'),
  },
  'db sql': {
    summary: 'Run SQL on the trace database and print the result (a table, or --json)',
    load: () => import('./commands/db-sql.js'),
  },
  'db prune': {
    summary: 'Delete traces (and their WebSocket messages) older than an age (30d, 12h, 2w …)',
    load: () => import('./commands/db-prune.js'),
  },
  'db backfill': {
    summary: 'Fill the LLM usage table (tokens, cost, quota) from traces stored before it, or by an older extractor (idempotent)',
    load: () => import('./commands/db-backfill.js'),
  },
  'db url': {
    summary: 'Print the database URL for psql (embedded: while a ccproxy process holds it)',
    load: () => import('./commands/db-url.js'),
  },
  'db serve': {
    summary: 'Serve the trace database in the foreground (embedded: on a loopback port for psql) until Ctrl-C',
    load: () => import('./commands/db-serve.js'),
  },
  usage: {
    summary: 'Report LLM usage: requests, tokens by kind, cost, cache hits — daily, weekly, monthly, by session, by model or in 5-hour blocks',
    load: () => import('./commands/usage.js'),
  },
  traces: {
    summary: 'List recent exchanges, newest first, one line each; a mitmproxy filter expression selects them (--json, --limit)',
    load: () => import('./commands/traces.js'),
  },
  ui: {
    summary: 'Open the viewer in a browser: sessions, exchanges, conversations, live (prints a sign-in link; --no-open, --port)',
    load: () => import('./commands/ui.js'),
  },
  show: {
    summary: 'Show one exchange: headers, decoded bodies, a stream as its events and the message they make, timings, usage and cost',
    load: () => import('./commands/show.js'),
  },
  install: {
    summary: 'Write commented ccproxy.yaml and config.yaml into the config directory (--force overwrites)',
    load: () => import('./commands/install.js'),
  },
  start: {
    summary: 'Start the gateway; with --mitm both capture points around it (traces to the database); --detach runs it in the background',
    load: () => import('./commands/start.js'),
  },
  stop: {
    summary: 'Stop the running ccproxy (all components), letting the trace writer drain first',
    load: () => import('./commands/stop.js'),
  },
  restart: {
    summary: 'Check the configuration, stop the running ccproxy and start it again (as it ran, unless flags say otherwise)',
    load: () => import('./commands/restart.js'),
  },
  status: {
    summary: 'Show whether ccproxy runs: each component, the database, the trace writer counters (exit 3 when not running)',
    load: () => import('./commands/status.js'),
  },
  logs: {
    summary: 'Print the log of the background ccproxy (-f follows; a component name filters: gateway, reverse, forward, database, viewer, daemon)',
    load: () => import('./commands/logs.js'),
  },
  run: {
    summary: 'Run a command (claude, curl, a script) with its traffic sent through the running ccproxy',
    load: () => import('./commands/run.js'),
  },
  route: {
    summary: 'Explain where a request for a model would go: rule, label, alias/pattern steps, deployment, URL',
    load: () => import('./commands/route.js'),
  },
  'export har': {
    summary: 'Write stored exchanges (those a FILTER matches) as a HAR 1.2 file: timings, bodies, SSE events, WebSocket messages',
    load: () => import('./commands/export-har.js'),
  },
  'export curl': {
    summary: 'Print one stored request as a curl command (credentials as stored: fingerprints unless raw storage)',
    load: () => import('./commands/export-curl.js'),
  },
  'mitm start': {
    summary: 'Run one capture proxy in the foreground (reverse: to an upstream URL; forward: HTTPS_PROXY with TLS interception) until Ctrl-C',
    load: () => import('./commands/mitm-start.js'),
  },
};

function help(group?: string): string {
  const rows = Object.entries(COMMANDS)
    .filter(([name]) => !group || name.startsWith(`${group} `))
    .map(([name, e]) => [name, e.summary] as const);
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
    '  CCPROXY_DEBUG=true            one log line per exchange, counters every 5 s; an unexpected error with its stack',
    '  CCPROXY_MITM_PORT             the forward capture port (ccproxy.mitm.port, default 8081)',
    '  CCPROXY_MITM_UPSTREAM         where `mitm start` in reverse mode sends requests',
    '  CCPROXY_MITM_MAX_BODY_SIZE    bytes of each body kept (0 = all, up to 64 MiB)',
    '  CCPROXY_MITM_MODE             reverse or forward, for `mitm start`',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(help());
    return argv.length === 0 ? 1 : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-V') {
    const { createRequire } = await import('node:module');
    console.log((createRequire(import.meta.url)('../../../package.json') as { version: string }).version);
    return 0;
  }
  const two = `${argv[0]} ${argv[1] ?? ''}`.trim();
  const name = Object.hasOwn(COMMANDS, two) ? two : Object.hasOwn(COMMANDS, argv[0]!) ? argv[0]! : null;
  if (!name) {
    const group = Object.keys(COMMANDS).filter((k) => k.startsWith(`${argv[0]} `));
    if (group.length > 0 && (argv[1] === '--help' || argv[1] === '-h')) {
      console.log(help(argv[0]));
      return 0;
    }
    if (group.length > 0) {
      const usage = `usage: ccproxy ${argv[0]} <${group.map((g) => g.split(' ')[1]).join('|')}> [options]`;
      throw new UserError(argv[1] === undefined || argv[1].startsWith('-') ? usage : `unknown ${argv[0]} command "${argv[1]}"\n${usage}`, 2);
    }
    throw new UserError(`unknown command "${argv.join(' ')}"; run ccproxy --help for the list`, 2);
  }
  // Everything ccproxy writes is owner-only; `run` keeps the user's umask, which the program it starts inherits.
  if (name !== 'run') createOwnerOnly();
  const entry = COMMANDS[name]!;
  const command = (await entry.load()).default;
  const rest = argv.slice(name.split(' ').length);
  if (command.passThrough ? rest[0] === '--help' || rest[0] === '-h' : rest.includes('--help') || rest.includes('-h')) {
    console.log(`${entry.summary}\n\nUsage: ${command.usage}${command.details ? `\n\n${command.details}` : ''}`);
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
