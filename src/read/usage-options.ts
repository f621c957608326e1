// What `ccproxy usage` is asked for: the report (daily, weekly, monthly, session, model, blocks), the time range
// (a local date or an age such as 7d) and the time zone its days are counted in, each checked with a message a user
// can act on before any query runs.
import { UserError } from '../errors.js';
import { parseAge } from '../store/prune.js';

export const REPORTS = ['daily', 'weekly', 'monthly', 'session', 'model', 'blocks'] as const;
export type ReportKind = (typeof REPORTS)[number];

/** A bound of the range: a calendar day in the report's time zone, or an instant (UTC, ISO 8601). */
export type Bound = { date: string } | { instant: string };

export interface UsageOptions {
  report: ReportKind;
  /** IANA name; days, weeks and months are counted in it. */
  timeZone: string;
  /** Calls from the start of this day (or from this instant) on. */
  since: Bound | null;
  /** Calls up to the end of this day (or before this instant). */
  until: Bound | null;
}

/** Exit code of a command line that does not parse, as every ccproxy command uses. */
export const BAD_ARGUMENTS = 2;

export function parseReport(text: string | undefined): ReportKind {
  if (text === undefined) return 'daily';
  if ((REPORTS as readonly string[]).includes(text)) return text as ReportKind;
  throw new UserError(`unknown report ${JSON.stringify(text)}: expected one of ${REPORTS.join(', ')}`, BAD_ARGUMENTS);
}

/** `YYYY-MM-DD` (a real calendar day), or an age (`7d`, `12h`, `2w`) counted back from `now`. */
export function parseBound(text: string, flag: string, now = Date.now()): Bound {
  const t = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const d = new Date(`${t}T00:00:00Z`);
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== t) throw new UserError(`${flag}: ${JSON.stringify(text)} is not a calendar date`, BAD_ARGUMENTS);
    // The year 0 is not a calendar year: PostgreSQL counts 1 BC before 1 AD.
    if (t < '0001-01-01') throw new UserError(`${flag}: ${JSON.stringify(text)} is before the year 1`, BAD_ARGUMENTS);
    return { date: t };
  }
  let seconds: number;
  try {
    seconds = parseAge(t);
  } catch {
    throw new UserError(`${flag}: invalid date ${JSON.stringify(text)}: expected YYYY-MM-DD or an age like 7d, 12h, 2w`, BAD_ARGUMENTS);
  }
  const at = new Date(now - seconds * 1000);
  // Before year 1 a timestamp has no ISO form PostgreSQL reads (and nothing was captured then anyway).
  if (Number.isNaN(at.getTime()) || at.getUTCFullYear() < 1) throw new UserError(`${flag}: ${JSON.stringify(text)} reaches back before the year 1: give a date, or a shorter age`, BAD_ARGUMENTS);
  return { instant: at.toISOString() };
}

/**
 * A range that ends before it starts selects nothing: said, rather than answered with an empty report. Bounds of
 * two kinds (a day and an age) are left as they are: which comes first depends on the time zone.
 */
export function checkRange(since: Bound | null, until: Bound | null, sinceText = '', untilText = ''): void {
  if (!since || !until) return;
  const a = 'date' in since ? since.date : null;
  const b = 'date' in until ? until.date : null;
  const after = a !== null && b !== null ? a > b : a === null && b === null ? (since as { instant: string }).instant > (until as { instant: string }).instant : false;
  if (after) throw new UserError(`--since ${sinceText} is after --until ${untilText}: the range holds no time`, BAD_ARGUMENTS);
}

/** The IANA name as given, after checking that it names a zone; the local zone when none is given. */
export function parseTimeZone(text: string | undefined): string {
  if (text === undefined) return localTimeZone();
  if (text.trim() === '') throw new UserError('--timezone: an empty name: give an IANA name such as UTC or Europe/Berlin, or leave the option out for the local zone', BAD_ARGUMENTS);
  const bad = () => new UserError(`--timezone: unknown time zone ${JSON.stringify(text)}: expected an IANA name such as UTC, Europe/Berlin or America/New_York`, BAD_ARGUMENTS);
  // Names only: PostgreSQL reads a bare offset such as +01:00 the POSIX way, east and west swapped.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(text)) throw bad();
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: text });
    return text;
  } catch {
    throw bad();
  }
}

/**
 * The zone of this machine (TZ when set), as an IANA name: TZ's own spelling when it is one (ICU would give
 * Asia/Kolkata as Asia/Calcutta). A TZ that names no zone would silently count days in UTC: an error instead.
 */
export function localTimeZone(env: NodeJS.ProcessEnv = process.env): string {
  // Set but empty, TZ means UTC (POSIX), as Node's own clock takes it.
  if (env.TZ === '' || env.TZ === ':') return 'UTC';
  const tz = env.TZ?.replace(/^:/, '');
  if (tz) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return tz;
    } catch {
      if (!tz.startsWith('/')) throw new UserError(`TZ=${tz} is not a time zone name this machine knows: set TZ to an IANA name such as Europe/Berlin, or pass --timezone`, BAD_ARGUMENTS);
    }
  }
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || zone === 'Etc/Unknown') throw new UserError(`this machine's time zone is not known${tz ? ` (TZ=${tz})` : ''}: set TZ to an IANA name such as Europe/Berlin, or pass --timezone`, BAD_ARGUMENTS);
  return zone;
}
