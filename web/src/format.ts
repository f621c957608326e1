// How numbers, times, costs and sizes read on the page: one place, so every view says them the same way.

const nf = new Intl.NumberFormat('en-US');

export const num = (n: number | null | undefined): string => (n === null || n === undefined ? '–' : nf.format(n));

export function compact(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (Math.abs(n) < 10_000) return nf.format(n);
  if (Math.abs(n) < 1_000_000) return `${(n / 1000).toFixed(1)}k`;
  return `${(n / 1_000_000).toFixed(2)}M`;
}

export function usd(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (n === 0) return '$0';
  if (Math.abs(n) < 0.01) return `$${n.toFixed(4)}`;
  return `$${n.toFixed(2)}`;
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (n < 1000) return `${Math.round(n)} ms`;
  if (n < 60_000) return `${(n / 1000).toFixed(1)} s`;
  if (n < 3_600_000) return `${Math.floor(n / 60_000)} min ${Math.round((n % 60_000) / 1000)} s`;
  return `${Math.floor(n / 3_600_000)} h ${Math.round((n % 3_600_000) / 60_000)} min`;
}

export function pct(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  return `${(n * 100).toFixed(n < 0.1 ? 1 : 0)}%`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A time of day, with its (local) date when it is not today or when `withDate` asks for it (a range's two ends). */
export function when(iso: string | null | undefined, withDate = false): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const today = new Date().toDateString() === d.toDateString();
  const t = d.toLocaleTimeString('en-GB', { hour12: false });
  const date = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  return today && !withDate ? t : `${date} ${t}`;
}

/** The client's name and version out of a User-Agent (`claude-cli/1.0.3 (external, cli)` → `claude-cli/1.0.3`). */
export function clientName(ua: string | null | undefined): string {
  if (!ua) return 'unknown client';
  const first = ua.split(/\s+/)[0] ?? ua;
  return first.length > 40 ? `${first.slice(0, 40)}…` : first;
}

export const shortId = (id: string): string => (id.length > 14 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id);
