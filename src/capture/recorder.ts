// Hands one exchange's flow to the sink at each of its moments, in order (request start, request body, response
// start, response end; an upgraded connection's messages before its end; then, up to a tenth of a second later and
// together with the flows that ended meanwhile (after-end.ts), what the stages read after the response had gone
// out), after the hook's stages have run and after the bytes have moved on. A hook whose stages are ready goes at
// once; while one waits for a body to decode, later ones queue behind it. A failure is logged, never felt by the
// exchange.
import type { Flow } from '../flow/flow.js';
import { afterEnded } from './after-end.js';
import type { FlowSink } from '../flow/sink.js';
import type { WsMessage } from '../flow/websocket.js';
import type { Logger } from '../log.js';
import type { MaybePromise } from './maybe-promise.js';
import type { StageRunner } from './run-stages.js';
import type { Capture, Hook } from './stage.js';

const SINK_CALL = {
  requestHeaders: 'requestStarted',
  requestBody: 'requestEnded',
  responseHeaders: 'responseStarted',
  responseEnd: 'responseEnded',
} as const satisfies Record<Exclude<Hook, 'afterEnd'>, keyof FlowSink>;

export interface RecorderContext {
  sink: FlowSink | null;
  stages: StageRunner;
  log: Logger;
}

export type Recorder = ((hook: Exclude<Hook, 'afterEnd'>) => void) & { message(m: MaybePromise<WsMessage>): void };

/** Every recorder's last queued hand-over that has not run yet (a body or a message still decoding ahead of it). */
const unsettled = new Set<Promise<void>>();

/**
 * Resolves once every hand-over queued so far has reached the sink, or after `timeoutMs`: a stop waits for it, so
 * that an exchange that ended just before (an upgraded connection closed while its last message still inflated) is
 * written with the others rather than left for the next start. Returns how many were still waiting.
 */
export async function settleRecorders(timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (unsettled.size > 0) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([...unsettled]), new Promise<void>((r) => (timer = setTimeout(r, left)))]);
    clearTimeout(timer);
  }
  return unsettled.size;
}

export function recorder(ctx: RecorderContext, capture: Capture): Recorder {
  const flow: Flow = capture.flow;
  let waiting: Promise<void> | null = null;
  const failed = (err: unknown) => ctx.log.warn(`capture of ${flow.id} failed: ${(err as Error).message}`);
  const hand = (value: () => MaybePromise<unknown>, apply: (v: unknown) => void): Promise<void> | undefined => {
    try {
      const v = value();
      if (!(v instanceof Promise)) {
        apply(v);
        return;
      }
      return v.then(apply).catch(failed);
    } catch (err) {
      failed(err);
    }
  };
  const enqueue = (value: () => MaybePromise<unknown>, apply: (v: unknown) => void) => {
    const p = waiting ? waiting.then(() => hand(value, apply)) : hand(value, apply);
    if (!p) return;
    const mine: Promise<void> = p.then(() => {
      if (waiting === mine) waiting = null;
      unsettled.delete(mine);
    });
    unsettled.add(mine);
    waiting = mine;
  };
  const record = ((hook: Exclude<Hook, 'afterEnd'>) => {
    const sink = ctx.sink;
    if (!sink) return;
    enqueue(() => ctx.stages.run(hook, capture), () => sink[SINK_CALL[hook]](flow));
    // The flow is handed over (and journaled) as soon as its response ends; what can wait for the client runs later.
    if (hook === 'responseEnd' && ctx.stages.hasAfterEnd && sink.responseRead)
      enqueue(
        () => afterEnded().then(() => ctx.stages.run('afterEnd', capture)),
        () => sink.responseRead!(flow),
      );
  }) as Recorder;
  /** One message of an upgraded connection (its payload may still be inflating). */
  record.message = (m: MaybePromise<WsMessage>) => {
    const sink = ctx.sink;
    if (sink?.wsMessage)
      enqueue(
        () => m,
        (v) => {
          ctx.stages.message(capture, v as WsMessage);
          sink.wsMessage!(flow.id, v as WsMessage);
        },
      );
  };
  return record;
}
