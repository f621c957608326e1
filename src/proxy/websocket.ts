// An upgraded connection (WebSocket, or any other Upgrade) through a capture point: the upgrade request goes to
// its target, the answer comes back as it was sent, and from the 101 on the bytes are relayed both ways as they
// come, with backpressure, while a tap reads copies of them into messages. The upgrade is one row, created when
// seen and completed when the connection ends (or the upgrade fails); its messages go to the sink beside it.
// Every socket has its error listener from the start: a peer that leaves at any moment ends the relay, never
// the process.
import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { recorder, type Recorder } from '../capture/recorder.js';
import { redactQuery } from '../capture/redact.js';
import { seenEnd, seenRequest, seenResponse } from '../capture/seen.js';
import { BODY_CEILING } from '../capture/settings.js';
import type { Capture } from '../capture/stage.js';
import { BodyCopy } from '../flow/body-copy.js';
import { targetName, type ExchangeContext, type Seen, type Target } from './context.js';
import { endToEndRaw, headerObject } from './hop.js';
import { linksOut, linkValue, takeLink } from './link.js';
import { classifyUpstreamError, type ErrorType } from './upstream-error.js';
import { errorAnswer, statusHead, upgradeRequest } from './upgrade-wire.js';
import { FrameError } from './ws-frames.js';
import { WsTap } from './ws-tap.js';

/** Once one side has gone, how long the other has to take what was already sent to it before it is cut. */
const LINGER_MS = 2_000;
/** Bytes a client may send before the upstream has answered (kept, then sent on after the 101); past it the client is paused. */
const EARLY_BYTES = 64 * 1024;
/** A compressed message stops inflating here whatever the stored limit: the end of a compression bomb. */
const INFLATE_CEILING = BODY_CEILING;

type Failure = { type: ErrorType; message: string };

export function relayUpgrade(ctx: ExchangeContext, req: IncomingMessage, client: Socket, head: Buffer, target: Target, seen: Seen, upstreamName = targetName(target)): void {
  new UpgradeRelay(ctx, req, client, head, target, seen, upstreamName).run();
}

const side = (d: 0 | 1) => (d === 0 ? 'client' : 'upstream');

class UpgradeRelay {
  private readonly t0 = performance.now();
  private readonly capture: Capture;
  private readonly record: Recorder;
  private up: http.ClientRequest | null = null;
  private usock: Socket | null = null;
  private answered = false;
  private relaying = false;
  private finished = false;
  private failure: Failure | null = null;
  private status: number | null = null;
  private responseHeaders: string[] | null = null;
  private resCopy: BodyCopy | null = null;
  private ttfb: number | null = null;
  private serverIp: string | null = null;
  private serverPort: number | null = null;
  private tap: WsTap | null = null;
  private timer: NodeJS.Timeout | null = null;
  private early: Buffer[] = [];
  private earlyBytes = 0;
  /** At the reverse capture, the flow a forward capture of this process recorded this upgrade as (see the constructor). */
  private readonly hopOf: string | undefined;
  /** The side whose socket ended or closed first. */
  private gone: 0 | 1 | null = null;
  private open = 2;

  constructor(
    private readonly ctx: ExchangeContext,
    private readonly req: IncomingMessage,
    private readonly client: Socket,
    private readonly head: Buffer,
    private readonly target: Target,
    private readonly seen: Seen,
    private readonly upstreamName: string,
  ) {
    // A link from this process (link.ts): the flow's at the forward capture; at the reverse capture, the upgrade is a
    // hop of a flow a forward capture has recorded (map_remote), relayed with its link and not recorded again.
    const { headers, parentId, hopOf } = takeLink(ctx.capture.direction, req.headers);
    this.hopOf = hopOf;
    this.capture = seenRequest(
      ctx.capture,
      { method: req.method ?? 'GET', url: seen.url, host: seen.host, path: seen.path, headers, clientIp: req.socket.remoteAddress ?? null, isHttps: seen.isHttps, start: Date.now(), originalUrl: seen.originalUrl, parentId },
      null,
    );
    this.record = recorder(this.hopOf === undefined ? ctx : { ...ctx, sink: null }, this.capture);
  }

  run(): void {
    const { ctx, req, client, seen, target } = this;
    client.on('error', () => this.clientLeft());
    client.on('end', () => this.clientLeft());
    client.on('close', () => this.clientLeft());
    // Bytes the client sends before the answer are kept for the upstream (Node's parser hands them to nobody).
    client.on('data', this.keepEarly);
    client.setNoDelay(true);
    ctx.upgrades?.add(this);
    this.record('requestHeaders');
    if (client.destroyed || !client.readable) return this.clientLeft();
    const flow = this.capture.flow;
    flow.linkedOut = linksOut(ctx.capture.direction, target);
    const up = upgradeRequest(req, target, flow.linkedOut ? linkValue(this.hopOf ?? flow.id) : undefined);
    this.up = up;
    up.on('error', (err) => this.upstreamError(err));
    this.arm(ctx.connectTimeoutMs, { type: 'timeout', message: `no connection within ${ctx.connectTimeoutMs / 1000}s` }, 504);
    up.on('socket', (s: Socket) => {
      s.setNoDelay(true);
      s.once(target.secure ? 'secureConnect' : 'connect', () => {
        if (!this.answered) this.arm(ctx.idleTimeoutMs, { type: 'timeout', message: `no answer to the upgrade for ${ctx.idleTimeoutMs / 1000}s` }, 504);
      });
    });
    up.on('upgrade', (res, usock, uhead) => this.upgraded(res, usock, uhead));
    up.on('response', (res) => this.refused(res));
    up.end();
  }

  /** Called when the listener has closed and its grace period is over. */
  cut(): void {
    if (this.finished) return;
    this.failure ??= { type: 'proxy_shutdown', message: 'ccproxy stopped: the connection was cut at shutdown' };
    this.up?.destroy();
    this.usock?.destroy();
    this.client.destroy();
    this.done();
  }

  private readonly keepEarly = (chunk: Buffer) => {
    this.early.push(chunk);
    this.earlyBytes += chunk.length;
    if (this.earlyBytes > EARLY_BYTES) this.client.pause();
  };

  private arm(ms: number, failure: Failure, status: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fail(failure, status), ms);
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The client went away (FIN, RST or close) before the upstream answered: the upstream request is cut too. */
  private clientLeft(): void {
    if (this.answered || this.finished) return;
    this.failure ??= { type: 'client_aborted', message: 'the client closed the connection before the upstream answered the upgrade' };
    this.up?.destroy();
    this.client.destroy();
    this.done();
  }

  /** The upgrade failed before an answer: the client gets the same JSON error as an exchange would. */
  private fail(failure: Failure, status: number): void {
    if (this.finished || this.answered) return;
    this.failure = failure;
    this.up?.destroy();
    const { client } = this;
    if (client.writable) {
      client.end(errorAnswer(status, this.upstreamName, failure));
      client.destroySoon();
    } else client.destroy();
    this.done();
  }

  private upstreamError(err: Error): void {
    if (this.finished || this.relaying) return;
    if (!this.answered) {
      const e = classifyUpstreamError(err, { connectMs: this.ctx.connectTimeoutMs, idleMs: this.ctx.idleTimeoutMs });
      return this.fail({ type: e.type, message: e.message }, e.status);
    }
    // A refusal's body cut midway.
    this.failure ??= { type: 'upstream_reset', message: `the upstream closed the connection before its answer ended: ${err.message}` };
    this.client.destroy();
    this.done();
  }

  private answer(res: IncomingMessage, socket: Socket): void {
    this.answered = true;
    this.disarm();
    this.status = res.statusCode ?? null;
    this.responseHeaders = res.rawHeaders;
    this.ttfb = performance.now() - this.t0;
    this.serverIp = socket.remoteAddress ?? null;
    this.serverPort = socket.remotePort ?? null;
  }

  /** The upstream answered without upgrading (404, 401…): its answer goes to the client and the row like any exchange's. */
  private refused(res: IncomingMessage): void {
    if (this.finished) return void res.destroy();
    this.answer(res, res.socket as Socket);
    const { client } = this;
    this.resCopy = new BodyCopy(this.ctx.capture.captureBodies ? this.ctx.capture.bodyLimit : 0);
    // The connection cannot go back to Node's HTTP parser after an upgrade request: the answer ends it
    // (its body close-delimited when it came chunked).
    client.write(statusHead(res, [...endToEndRaw(res.rawHeaders), 'Connection', 'close']));
    res.on('data', (c: Buffer) => {
      this.resCopy!.push(c);
      if (!client.write(c)) res.pause();
    });
    client.on('drain', () => res.resume());
    res.on('end', () => {
      client.end();
      this.done();
    });
    res.on('error', (err) => this.upstreamError(err));
    client.on('close', () => {
      if (this.finished) return;
      this.failure ??= { type: 'client_aborted', message: 'the client closed the connection before the response ended' };
      res.destroy();
      this.done();
    });
  }

  private upgraded(res: IncomingMessage, usock: Socket, uhead: Buffer): void {
    if (this.finished) return void usock.destroy();
    this.usock = usock;
    usock.on('error', () => {});
    this.answer(res, usock);
    const { ctx, client } = this;
    client.removeListener('data', this.keepEarly);
    client.write(statusHead(res, res.rawHeaders));
    seenResponse(this.capture, { status: this.status, headers: headerObject(res.rawHeaders), copy: null, ttfbMs: this.ttfb, serverIp: this.serverIp, serverPort: this.serverPort });
    this.record('responseHeaders');
    if (String(res.headers.upgrade ?? '').toLowerCase() === 'websocket') {
      const { captureBodies, bodyLimit, redact } = ctx.capture;
      this.tap = new WsTap({ captureBodies, bodyLimit, redact, inflateCeiling: INFLATE_CEILING }, res.headers['sec-websocket-extensions'], (m) => this.record.message(m));
    }
    this.relaying = true;
    this.pump(client, usock, 0, [this.head, ...this.early]);
    this.pump(usock, client, 1, [uhead]);
    this.early = [];
    client.resume();
  }

  /** One direction: each chunk is read by the tap, then written on as it came; a slow reader pauses the sender. */
  private pump(from: Socket, to: Socket, direction: 0 | 1, first: Buffer[]): void {
    const forward = (chunk: Buffer) => {
      if (!this.relaying) return;
      if (this.tap) {
        try {
          this.tap.push(direction, chunk);
        } catch (err) {
          if (!(err instanceof FrameError)) {
            this.ctx.log.warn(`capture of WebSocket ${this.capture.flow.id} stopped: ${(err as Error).message}`);
            this.tap.close();
            this.tap = null;
          } else {
            // The frames before the bad one go on; the bad one does not, and the connection ends.
            if (err.offset > 0) to.write(chunk.subarray(0, err.offset));
            return this.protocolError(direction, err);
          }
        }
      }
      if (!to.write(chunk)) from.pause();
    };
    for (const c of first) if (c.length > 0) forward(c);
    from.on('data', forward);
    to.on('drain', () => from.resume());
    from.on('end', () => {
      this.sideGone(direction);
      to.end();
    });
    from.on('close', () => {
      this.sideGone(direction);
      // A reset ends the other side at once; a close lets it take what was already sent, for a while.
      if (from.errored) to.destroy();
      else this.linger(to);
      if (--this.open === 0) this.done();
    });
  }

  private sideGone(direction: 0 | 1): void {
    if (this.gone !== null || this.finished) return;
    this.gone = direction;
    const tap = this.tap;
    if (!tap || tap.closedBy !== null || this.failure) return;
    const what = tap.midMessage(direction) ? 'in the middle of a message' : 'without a WebSocket close';
    this.failure = direction === 0 ? { type: 'client_aborted', message: `the client closed the connection ${what}` } : { type: 'upstream_reset', message: `the upstream closed the connection ${what}` };
  }

  private linger(s: Socket): void {
    s.end();
    setTimeout(() => s.destroy(), LINGER_MS).unref();
  }

  private protocolError(direction: 0 | 1, err: FrameError): void {
    this.relaying = false;
    this.failure ??= { type: 'ws_protocol_error', message: `the ${side(direction)} sent a malformed WebSocket frame (${err.message}); ccproxy ended the connection` };
    this.linger(this.client);
    this.linger(this.usock!);
  }

  private done(): void {
    if (this.finished) return;
    this.finished = true;
    this.relaying = false;
    this.disarm();
    this.ctx.upgrades?.delete(this);
    this.tap?.close();
    const { ctx, status } = this;
    const raw = this.responseHeaders;
    const error = this.failure ?? undefined;
    seenResponse(this.capture, { status, headers: raw ? headerObject(raw) : null, copy: this.resCopy, ttfbMs: this.ttfb, serverIp: this.serverIp, serverPort: this.serverPort });
    seenEnd(this.capture, Date.now(), error);
    this.record('responseEnd');
    if (ctx.log.debugEnabled) ctx.log.debug(`${this.req.method} ${redactQuery(this.seen.url)} (upgrade) → ${error?.type ?? status} ${Math.round(performance.now() - this.t0)} ms`);
  }
}
