// A small line logger: every line carries its component; debug lines only when debug is on. Every line passes
// through redaction, so a URL's secret query parameters or a bearer token never reach a log file.
import { redactLogLine } from './capture/redact.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  readonly debugEnabled: boolean;
  child(component: string): Logger;
}

export function createLogger(component: string, opts: { debug?: boolean; write?: (line: string) => void } = {}): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const debugEnabled = opts.debug ?? false;
  const emit = (level: Level, msg: string) => {
    if (level === 'debug' && !debugEnabled) return;
    write(`${new Date().toISOString()} ${level.padEnd(5)} [${component}] ${redactLogLine(msg)}\n`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    debugEnabled,
    child: (c) => createLogger(c, opts),
  };
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  debugEnabled: false,
  child: () => silentLogger,
};
