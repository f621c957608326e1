// Opens a URL in the user's browser where one can be opened (`open` on macOS, `xdg-open` on a Linux desktop, `start`
// on Windows); without a display, or when the opener is missing or fails, it quietly does nothing: the URL is
// printed anyway. The opener is detached and never holds the caller.
import { spawn } from 'node:child_process';

/** The opener for this system, or null where no browser can be opened (a server without a display). */
export function opener(platform = process.platform, env: NodeJS.ProcessEnv = process.env): { cmd: string; args: string[] } | null {
  if (platform === 'darwin') return { cmd: 'open', args: [] };
  if (platform === 'win32') return { cmd: 'cmd', args: ['/c', 'start', '""'] };
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return null;
  return { cmd: 'xdg-open', args: [] };
}

/** True when an opener was started (not that a browser showed the page). */
export function openBrowser(url: string): boolean {
  const o = opener();
  if (!o) return false;
  try {
    const child = spawn(o.cmd, [...o.args, url], { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
