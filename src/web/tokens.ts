// Who may read the viewer: a link token, good once and for a minute (a URL handed to a browser shows in the
// process list), is exchanged for a random session cookie that the server keeps in memory; a restart signs
// every page out. Tokens and cookies are compared by exact lookup of random 256-bit values.
import { randomBytes } from 'node:crypto';

/** How long a printed link may wait for its browser: long enough to open it, short enough to be useless later. */
export const TOKEN_TTL_MS = 60_000;

const random = () => randomBytes(32).toString('base64url');

export class Tokens {
  private readonly links = new Map<string, number>();
  private readonly cookies = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new link token, valid once within TOKEN_TTL_MS. */
  issue(): string {
    this.sweep();
    const t = random();
    this.links.set(t, this.now() + TOKEN_TTL_MS);
    return t;
  }

  /** Spends a link token: a new cookie value when it was valid, else null (unknown, used or expired). */
  redeem(token: string): string | null {
    const expires = this.links.get(token);
    if (expires === undefined) return null;
    this.links.delete(token);
    if (expires < this.now()) return null;
    const cookie = random();
    this.cookies.add(cookie);
    return cookie;
  }

  signedIn(cookie: string | undefined): boolean {
    return cookie !== undefined && this.cookies.has(cookie);
  }

  private sweep(): void {
    const now = this.now();
    for (const [t, expires] of this.links) if (expires < now) this.links.delete(t);
  }
}

/** The cookie's name carries the port: browsers share cookies between ports of one host. */
export const cookieName = (port: number) => `ccproxy_ui_${port}`;

/** The value of cookie `name` in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
