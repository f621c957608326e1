// A TCP relay in front of the PostgreSQL server that a test can cut, stall and restore: a real outage on a real socket.
import net from 'node:net';

export class Relay {
  private server: net.Server | null = null;
  private sockets = new Set<net.Socket>();
  private stalled = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<this> {
    this.stalled = false;
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      if (this.stalled) return; // accept, never answer: a database that hangs
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port || this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** A relay started in front of the server `databaseUrl` names. */
  static async before(databaseUrl: string): Promise<Relay> {
    const u = new URL(databaseUrl);
    return new Relay(u.hostname, Number(u.port || 5432)).start();
  }

  url(base: string): string {
    const u = new URL(base);
    u.host = `127.0.0.1:${this.port}`;
    return u.toString();
  }

  /** Refuses new connections and resets open ones: the database is gone. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  /** Keeps connections open but stops passing bytes: queries hang. */
  stall(): void {
    this.stalled = true;
    for (const s of this.sockets) {
      s.unpipe();
      s.pause();
    }
  }
}
