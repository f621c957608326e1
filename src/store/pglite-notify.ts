// LISTEN/NOTIFY across the embedded database's socket. PGlite is one PostgreSQL session shared by every client
// of the socket server, so a notification comes out in the answer to whichever client's query caused it (the
// writer's), never to the client that LISTENed. The holder therefore reads the protocol stream PGlite produces,
// picks out NotificationResponse messages ('A'), and once that query's answer is complete writes them to every
// connection that has sent a LISTEN: an asynchronous message, which clients accept between any two others.
import type { Server, Socket } from 'node:net';

/** The part of PGlite the socket server drives; only the raw protocol call is wrapped. */
interface RawProtocol {
  execProtocolRawStream(message: Uint8Array, opts: { syncToFs?: boolean; onRawData: (data: Uint8Array) => void }): Promise<void>;
}

/** Reads backend messages across chunks, keeping only NotificationResponse frames whole. */
export class NotificationScanner {
  private header = Buffer.alloc(0);
  private skip = 0;
  private frame: Buffer[] | null = null;
  private frameLeft = 0;
  readonly found: Buffer[] = [];

  feed(chunk: Uint8Array): void {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (buf.length > 0) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length);
        this.skip -= n;
        buf = buf.subarray(n);
        continue;
      }
      if (this.frame) {
        const n = Math.min(this.frameLeft, buf.length);
        this.frame.push(Buffer.from(buf.subarray(0, n)));
        this.frameLeft -= n;
        buf = buf.subarray(n);
        if (this.frameLeft === 0) {
          this.found.push(Buffer.concat(this.frame));
          this.frame = null;
        }
        continue;
      }
      const need = 5 - this.header.length;
      this.header = Buffer.concat([this.header, buf.subarray(0, need)]);
      buf = buf.subarray(Math.min(need, buf.length));
      if (this.header.length < 5) break;
      const type = this.header[0];
      const body = this.header.readInt32BE(1) - 4;
      if (type === 0x41) {
        this.frame = [this.header];
        this.frameLeft = body;
        if (body === 0) {
          this.found.push(Buffer.concat(this.frame));
          this.frame = null;
        }
      } else this.skip = body;
      this.header = Buffer.alloc(0);
    }
  }
}

/** Whether a client's bytes carry a LISTEN (simple or extended query); a false alarm only costs a few bytes. */
const LISTEN = /\bLISTEN\s/i;

/**
 * `db` as the socket server should see it, relaying notifications to the connections of `server` (the socket
 * server's net.Server, given once it listens) that have LISTENed.
 */
export function relayNotifications<T extends RawProtocol>(db: T): { db: T; attach(server: Server): void } {
  const listeners = new Set<Socket>();
  const wrapped = new Proxy(db, {
    get(target, key) {
      if (key === 'execProtocolRawStream') {
        return async (message: Uint8Array, opts: { syncToFs?: boolean; onRawData: (data: Uint8Array) => void }) => {
          if (listeners.size === 0) return target.execProtocolRawStream(message, opts);
          const scan = new NotificationScanner();
          await target.execProtocolRawStream(message, {
            ...opts,
            onRawData: (data) => {
              scan.feed(data);
              opts.onRawData(data);
            },
          });
          for (const frame of scan.found) for (const s of listeners) if (s.writable) s.write(frame);
        };
      }
      const v = Reflect.get(target, key, target) as unknown;
      // PGlite keeps its state in private fields: its methods must run on the object itself.
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return {
    db: wrapped,
    attach(server) {
      server.on('connection', (socket: Socket) => {
        const watch = (chunk: Buffer) => {
          if (!LISTEN.test(chunk.toString('latin1'))) return;
          listeners.add(socket);
          socket.off('data', watch);
        };
        // After the socket server's own handler has attached (it does so in a setImmediate of its own, queued
        // first): a 'data' listener added earlier would start the flow before that handler listens.
        setImmediate(() => socket.on('data', watch));
        socket.once('close', () => listeners.delete(socket));
      });
    },
  };
}
