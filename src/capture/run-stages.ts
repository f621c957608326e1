// Runs the stages of one hook over a capture, in order. A stage that throws (or whose promise rejects) is
// skipped: its failure is logged once per stage and hook for the listener's life (then counted at debug), its
// `failed` leaves the flow safe, and the next stage runs. Synchronous unless a stage returns a promise.
import type { WsMessage } from '../flow/websocket.js';
import type { Logger } from '../log.js';
import type { MaybePromise } from './maybe-promise.js';
import type { Capture, Hook, Stage } from './stage.js';

type HookFn = (c: Capture) => MaybePromise<void>;

export class StageRunner {
  private readonly byHook: Record<Hook, { stage: Stage; fn: HookFn }[]>;
  private readonly onMessage: Stage[];
  private readonly logged = new Set<string>();

  constructor(
    stages: readonly Stage[],
    private readonly log: Logger,
  ) {
    const of = (hook: Hook) => stages.flatMap((stage) => (stage[hook] ? [{ stage, fn: (stage[hook] as HookFn).bind(stage) }] : []));
    this.byHook = { requestHeaders: of('requestHeaders'), requestBody: of('requestBody'), responseHeaders: of('responseHeaders'), responseEnd: of('responseEnd'), afterEnd: of('afterEnd') };
    this.onMessage = stages.filter((s) => s.message);
  }

  /** Hands an upgraded connection's message to the stages that read messages (synchronously; a throw is logged). */
  message(c: Capture, m: WsMessage): void {
    for (const stage of this.onMessage) {
      try {
        stage.message!(c, m);
      } catch (err) {
        this.failed(stage, 'message', c, err);
      }
    }
  }

  /** Whether any stage works after the response has gone out. */
  get hasAfterEnd(): boolean {
    return this.byHook.afterEnd.length > 0;
  }

  run(hook: Hook, c: Capture): MaybePromise<void> {
    return this.from(this.byHook[hook], 0, hook, c);
  }

  private from(list: { stage: Stage; fn: HookFn }[], i: number, hook: Hook, c: Capture): MaybePromise<void> {
    for (; i < list.length; i++) {
      const { stage, fn } = list[i]!;
      let v: MaybePromise<void>;
      try {
        v = fn(c);
      } catch (err) {
        this.failed(stage, hook, c, err);
        continue;
      }
      if (v instanceof Promise) {
        const next = i + 1;
        return v.then(
          () => this.from(list, next, hook, c),
          (err) => {
            this.failed(stage, hook, c, err);
            return this.from(list, next, hook, c);
          },
        );
      }
    }
  }

  private failed(stage: Stage, hook: Hook | 'message', c: Capture, err: unknown): void {
    const key = `${stage.name}.${hook}`;
    const msg = `capture stage ${stage.name} failed at ${hook} (trace ${c.flow.id}): ${(err as Error)?.message ?? String(err)}`;
    if (this.logged.has(key)) this.log.debug(msg);
    else {
      this.logged.add(key);
      this.log.warn(`${msg}; the stage is skipped for this exchange (later failures of it are logged at debug)`);
    }
    try {
      stage.failed?.(c, hook);
    } catch {
      /* the flow keeps what it has */
    }
  }
}
