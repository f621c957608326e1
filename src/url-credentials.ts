// URLs with credentials in them, as ccproxy prints them. Two purposes, two functions: a database URL keeps its
// user, so the reader knows whom psql connects as, and shows `***` for the password (`db url --show-password`
// prints it whole); a proxy URL whose user and password are both a per-process secret (the gateway's way into
// the forward capture) shows neither. Captured traffic is another matter: redact.ts fingerprints a password in a
// recorded URL, so equal secrets stay recognisable in the traces.

/** `postgresql://ccproxy:s3cret@host/db` → `postgresql://ccproxy:***@host/db`; a URL without a password unchanged. */
export function hidePassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

/** `http://user:secret@127.0.0.1:8081` → `http://127.0.0.1:8081` (no trailing slash); null for an invalid URL. */
export function withoutCredentials(url: string): string | null {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.href.replace(/\/$/, '');
  } catch {
    return null;
  }
}
