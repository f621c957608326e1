// A browser's side of the viewer for tests: spend a printed link for the session cookie, then GET with it (any
// Host header, which fetch will not let a caller set), and read /api/live's Server-Sent Events as they come.
import http from 'node:http';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json<T = any>(): T;
}

export function get(url: string, o: { cookie?: string; host?: string; method?: string } = {}): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: o.method ?? 'GET', headers: { ...(o.cookie ? { cookie: o.cookie } : {}), ...(o.host ? { host: o.host } : {}) } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const body = Buffer.concat(parts);
          resolve({ status: res.statusCode!, headers: res.headers, body, text: body.toString('utf8'), json: () => JSON.parse(body.toString('utf8')) });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The first `http://` URL in a command's output: the link `ccproxy ui` prints. */
export function firstUrl(stdout: string): string {
  const m = /http:\/\/\S+/.exec(stdout);
  if (!m) throw new Error(`no http:// URL in: ${stdout}`);
  return m[0];
}

/** Spends the link's token; the cookie ("name=value") and the viewer's base URL. */
export async function signIn(link: string): Promise<{ cookie: string; base: string; answer: Answer }> {
  const answer = await get(link);
  const set = answer.headers['set-cookie']?.[0] ?? '';
  const cookie = set.split(';')[0]!;
  return { cookie, base: new URL('/', link).href, answer };
}

export interface LiveEvent {
  event: string;
  data: any;
}

/** An open /api/live stream: events as they arrive, and a wait for one that matches. */
export function openLive(base: string, cookie: string): Promise<{ events: LiveEvent[]; next(match: (e: LiveEvent) => boolean, timeoutMs?: number): Promise<LiveEvent>; close(): void }> {
  const u = new URL('/api/live', base);
  return new Promise((resolve, reject) => {
    const events: LiveEvent[] = [];
    const waiters: { match: (e: LiveEvent) => boolean; done: (e: LiveEvent) => void }[] = [];
    const req = http.get({ host: u.hostname, port: u.port, path: u.pathname, headers: { cookie, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`/api/live answered ${res.statusCode}`));
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (!event) continue;
          const e = { event, data: data === undefined ? null : JSON.parse(data) };
          events.push(e);
          for (const w of [...waiters]) if (w.match(e)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.done(e);
          }
        }
      });
      resolve({
        events,
        next: (match, timeoutMs = 10_000) =>
          new Promise((done, fail) => {
            const seen = events.find(match);
            if (seen) return done(seen);
            const t = setTimeout(() => fail(new Error(`no matching live event within ${timeoutMs} ms; got ${JSON.stringify(events)}`)), timeoutMs);
            waiters.push({ match, done: (e) => (clearTimeout(t), done(e)) });
          }),
        close: () => req.destroy(),
      });
    });
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
  });
}
