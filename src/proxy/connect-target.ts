// What a CONNECT may ask for: a host and a port (RFC 9110 9.3.6), checked before anything is answered, and
// whether an address is this machine's own (where ccproxy relays only what it can record).
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { unbracket } from '../host-name.js';

/** A DNS name: dot-separated labels of letters, digits, `-` and `_` (which real names carry), 253 characters at most. */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;
const PORT = /^[0-9]{1,5}$/;
/** How much of a bad target the error message repeats. */
const SHOWN = 100;

/** `host:port` or `[v6]:port`, or why not. */
export function parseConnectTarget(authority: string): { host: string; port: number } | { error: string } {
  const m = /^\[([^\]]*)\]:([^:]*)$/.exec(authority) ?? /^([^:[\]]*):([^:]*)$/.exec(authority);
  const bad = (why: string) => ({ error: `CONNECT ${JSON.stringify(authority.slice(0, SHOWN))}: ${why}; expected host:port, such as api.anthropic.com:443` });
  if (!m) return bad(authority.includes(':') ? 'not a host and a port' : 'no port');
  const [, host, portText] = m as unknown as [string, string, string];
  const bracketed = authority.startsWith('[');
  if (bracketed ? isIP(host) !== 6 : !(isIP(host) === 4 || HOST_NAME.test(host))) return bad(host ? `${JSON.stringify(host.slice(0, SHOWN))} is not a host name or IP address` : 'no host');
  const port = Number(portText);
  if (!PORT.test(portText) || port < 1 || port > 65535) return bad(`the port must be a number from 1 to 65535`);
  return { host, port };
}

/** Loopback and unspecified addresses, `localhost` names, and every address of this machine's interfaces. */
export function isLocalAddress(host: string): boolean {
  const h = unbracket(host.toLowerCase()).replace(/^::ffff:/, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.localhost.')) return true;
  const v = isIP(h);
  if (v === 4 && (h.startsWith('127.') || h === '0.0.0.0')) return true;
  if (v === 6 && (h === '::1' || h === '::' || /^0*(:0*)*:0*1?$/.test(h))) return true;
  if (v === 0) return false;
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address.toLowerCase() === h));
}
