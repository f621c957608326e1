// The quota a response reports in its headers: Anthropic's unified subscription limits
// (`anthropic-ratelimit-unified-*`: the 5-hour and 7-day windows' utilisation, reset and status) and the classic
// per-minute limits (`anthropic-ratelimit-*`, OpenAI's `x-ratelimit-*`). Their names have changed before, so every
// header with one of these prefixes is kept as sent, and the known ones are read from that map, never required.

export interface QuotaWindow {
  /** The share used, as the header states it (Anthropic sends a fraction, 0.42 = 42 %). */
  utilization: number | null;
  /** When the window resets, ISO 8601 (the header sends epoch seconds or a date). */
  reset: string | null;
  status: string | null;
}

export interface UnifiedQuota {
  /** `allowed`, `allowed_warning`, `rejected`… */
  status: string | null;
  reset: string | null;
  fiveHour: QuotaWindow;
  sevenDay: QuotaWindow;
  /** Which window the status speaks for (`five_hour`, `seven_day`…). */
  representativeClaim: string | null;
}

export interface RateLimit {
  limit: number | null;
  remaining: number | null;
  /** As sent: a duration (`6m0s`, OpenAI), a date (Anthropic). */
  reset: string | null;
}

export interface Quota {
  /** Every rate-limit header as sent, names lower-cased. */
  headers: Record<string, string>;
  /** Anthropic's unified limits, when any `anthropic-ratelimit-unified-*` header came. */
  unified: UnifiedQuota | null;
  /** Per-minute limits by kind (`requests`, `tokens`, `input-tokens`, `output-tokens`). */
  limits: Record<string, RateLimit>;
}

const UNIFIED = 'anthropic-ratelimit-unified-';
const PREFIXES = ['anthropic-ratelimit-', 'x-ratelimit-'];
/** `x-ratelimit-limit-requests` (OpenAI) and `anthropic-ratelimit-requests-limit` (Anthropic) name the same things. */
const OPENAI_LIMIT = /^x-ratelimit-(limit|remaining|reset)-(.+)$/;
const ANTHROPIC_LIMIT = /^anthropic-ratelimit-(?!unified-)(.+)-(limit|remaining|reset)$/;

/** The quota headers of a response, or null when it has none. */
export function parseQuota(headers: Record<string, unknown> | null | undefined): Quota | null {
  if (!headers) return null;
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!PREFIXES.some((p) => lower.startsWith(p))) continue;
    const text = Array.isArray(value) ? value.map(String).join(', ') : value == null ? '' : String(value);
    kept[lower] = text.trim();
  }
  if (Object.keys(kept).length === 0) return null;
  const limits: Record<string, RateLimit> = {};
  for (const [name, value] of Object.entries(kept)) {
    const o = OPENAI_LIMIT.exec(name);
    const a = o ? null : ANTHROPIC_LIMIT.exec(name);
    const kind = o ? o[2]! : a ? a[1]! : null;
    const field = (o ? o[1] : a ? a[2] : null) as keyof RateLimit | null;
    if (kind === null || field === null) continue;
    const entry = (limits[kind] ??= { limit: null, remaining: null, reset: null });
    if (field === 'reset') entry.reset = value || null;
    else entry[field] = number(value);
  }
  return { headers: kept, unified: unified(kept), limits };
}

function unified(h: Record<string, string>): UnifiedQuota | null {
  if (!Object.keys(h).some((n) => n.startsWith(UNIFIED))) return null;
  const get = (suffix: string) => h[UNIFIED + suffix] || null;
  const window = (w: string): QuotaWindow => ({
    utilization: number(get(`${w}-utilization`)),
    reset: resetTime(get(`${w}-reset`)),
    status: get(`${w}-status`),
  });
  return {
    status: get('status'),
    reset: resetTime(get('reset')),
    fiveHour: window('5h'),
    sevenDay: window('7d'),
    representativeClaim: get('representative-claim'),
  };
}

function number(v: string | null | undefined): number | null {
  if (v == null || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Epoch seconds (or milliseconds, when the figure is that large) or a date, as ISO 8601; null when neither. */
export function resetTime(v: string | null): string | null {
  if (v === null) return null;
  const n = number(v);
  if (n !== null) {
    const ms = n > 1e12 ? n : n * 1000;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
