// The router's loop for one routed request, as LiteLLM's router runs it: pick a deployment of the group, send the
// attempt, and on a failure before the client saw a byte retry in the group (num_retries, waiting retry_after),
// then go through the fallback groups; record failures for cooldowns. Every attempt is a real exchange (the
// forward capture records each, linked to the client's). When nothing is left, the client gets the last
// provider failure as that provider sent it, or — when no deployment could be tried — an error naming them all.
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deployment } from '../config.js';
import { prepareFor, type GatewayParts, type Labelled, type Routed } from '../dispatch.js';
import type { RoutedEndpoint } from '../endpoints.js';
import { explainRoute, type RoutingState } from '../hooks.js';
import { Refusal, sendError } from '../http-io.js';
import { retryable, type FailureKind } from './classify.js';
import { exchangeSender, Failover, type Failure } from './exchange.js';
import { fallbacksFor, type RequestRouting } from './fallbacks.js';
import { pick, type Unavailable } from './pick.js';
import { unavailableError } from './unavailable-error.js';

/** A provider's Retry-After longer than this is not waited out in front of the client: the failure goes on. */
const MAX_RETRY_WAIT_S = 60;

export interface RoutedJob {
  ep: RoutedEndpoint;
  labelled: Labelled;
  /** The body after the hooks, before an attempt rewrites `model`; LiteLLM's routing keys taken out. */
  body: Record<string, unknown>;
  /** The provider headers after the hooks, before credentials. */
  headers: Record<string, string | string[]>;
  stream: boolean;
  routing: RequestRouting;
}

/** Sends one prepared attempt (relay or translation); throws Failover when the router takes the failure elsewhere. */
export type Deliver = (r: Routed, body: Record<string, unknown>) => Promise<void>;

type Outcome = 'done' | 'unavailable' | 'refused' | FailureKind;

export async function runRouted(p: GatewayParts, res: http.ServerResponse, job: RoutedJob, deliver: Deliver): Promise<void> {
  const { settings: s, health, random } = p.router;
  const { ctx } = job.labelled;
  const tried = new Set<number>();
  const unavailable: Unavailable[] = [];
  let last: { failure: Failure; r: Routed; body: Record<string, unknown> } | null = null;
  let refusal: Refusal | null = null;
  const gone = () => res.destroyed || res.writableEnded;
  // Each attempt's sender listens for the client leaving.
  res.setMaxListeners(res.getMaxListeners() + (s.numRetries + 1) * (s.maxFallbacks + 1) + 2);

  /** Runs the attempts in one group; `onwards(kind)` says whether a failure of that kind has a fallback left. */
  const runGroup = async (members: Deployment[], onwards: (kind: FailureKind) => boolean): Promise<Outcome> => {
    for (let n = 0; ; ) {
      const choice = pick(members, health, random, tried);
      if (!('d' in choice)) {
        unavailable.push(...choice.none);
        return 'unavailable';
      }
      const d = choice.d;
      // Each attempt rewrites `model` (translation builds a body of its own): a shallow copy keeps the original.
      const body = { ...job.body };
      const headers = { ...job.headers };
      const r = await prepareFor(p, job.ep, ctx, d, body, headers);
      if (r instanceof Refusal) {
        // This deployment cannot take the request (not callable, another format, no credentials): another may.
        refusal = r;
        tried.add(d.index);
        if (members.every((m) => tried.has(m.index))) return 'refused';
        continue;
      }
      const retriesLeft = n < s.numRetries; // n: attempts already sent in this group
      const waitFor = (f: Failure) => {
        const same = members.every((m) => tried.has(m.index) || m === d);
        return Math.max(s.retryAfter, same && f.retryAfter !== null ? f.retryAfter : 0);
      };
      const timeout = job.stream ? (d.streamTimeout ?? s.streamTimeout ?? d.timeout ?? s.timeout) : (d.timeout ?? s.timeout);
      const timeoutName = job.stream ? (d.streamTimeout !== undefined ? `${d.where} stream_timeout` : s.streamTimeout !== null ? 'router_settings.stream_timeout' : d.timeout !== undefined ? `${d.where} timeout` : 'router_settings.timeout') : d.timeout !== undefined ? `${d.where} timeout` : 'router_settings.timeout';
      r.send = exchangeSender({
        dispatcher: p.upstream.dispatcher,
        stream: job.stream,
        timeoutMs: timeout === null ? null : timeout * 1000,
        timeoutName,
        failOver: (f) => (retryable(f.kind) && retriesLeft && waitFor(f) <= MAX_RETRY_WAIT_S) || onwards(f.kind),
        onFailure: (f) => {
          const c = retryable(f.kind) ? health.failed(d, members.length, f.kind, f.detail) : null;
          p.log.warn(`"${d.name}" (${d.provider ?? '?'}/${d.model}, ${d.where}): ${f.kind}: ${f.detail}${c ? `; cooling down until ${new Date(c.until).toISOString()}` : ''}`);
        },
        onCommit: () => {},
        onTokens: d.tpm !== undefined ? (t) => health.used(d, t) : null,
      });
      health.started(d);
      n++;
      try {
        await deliver(r, body);
        return 'done';
      } catch (err) {
        if (!(err instanceof Failover)) throw err;
        last = { failure: err.failure, r, body };
        tried.add(d.index);
        const f = err.failure;
        if (!retryable(f.kind) || !retriesLeft || waitFor(f) > MAX_RETRY_WAIT_S) return f.kind;
        const wait = waitFor(f);
        p.log.info(`"${d.name}": retry ${n} of ${s.numRetries}${wait > 0 ? ` in ${wait}s` : ''}`);
        if (wait > 0) await sleep(wait * 1000);
        if (gone()) return 'done';
      }
    }
  };

  const names = groupNames(p.state, job);
  const primary = p.state.models.group(job.labelled.d);
  /** The deployment a fallback name reaches, or null (named in a warning: a name nothing routes, an alias loop). */
  const reach = (g: string): Deployment | null => {
    try {
      return p.state.models.explain(g)?.deployment ?? null;
    } catch (err) {
      p.log.warn(`fallback "${g}": ${(err as Error).message}`);
      return null;
    }
  };
  const onwardsFrom = (kind: FailureKind) => fallbacksFor(s, names, kind, job.routing).some((g) => reach(g) !== null);
  let outcome = await runGroup(primary, onwardsFrom);
  if (outcome === 'done') return;
  const groupsTried = [names[0]!];
  if (outcome !== 'refused') {
    const list = fallbacksFor(s, names, outcome, job.routing);
    for (const [i, g] of list.entries()) {
      const target = reach(g);
      if (!target) {
        p.log.warn(`fallback "${g}" of "${names[0]}": ${p.state.models.file} has no model_name or pattern for it`);
        continue;
      }
      p.log.info(`"${names[0]}": ${outcome}; falling back to "${g}"`);
      groupsTried.push(g);
      const rest = list.slice(i + 1);
      outcome = await runGroup(p.state.models.group(target), (kind) => (kind === 'context_window' || kind === 'content_policy' || retryable(kind)) && rest.some((n) => reach(n) !== null));
      if (outcome === 'done') return;
      if (outcome === 'client' || outcome === 'refused') break;
    }
  }
  if (gone()) return;
  const final = last as { failure: Failure; r: Routed; body: Record<string, unknown> } | null;
  if (final) {
    // The last failure, as its provider sent it (or as the translation maps it), through the same sender.
    let replayed = false;
    final.r.send = (req) => {
      if (replayed) return p.upstream.dispatcher.request(req) as never;
      replayed = true;
      return final.failure.replay(req);
    };
    try {
      await deliver(final.r, final.body);
    } catch (err) {
      if (!(err instanceof Failover)) throw err;
    }
    return;
  }
  if (unavailable.length > 0) {
    const e = unavailableError(job.ep.format, groupsTried, unavailable, health);
    p.log.warn(`${job.ep.title} model=${ctx.requestedModel}: ${JSON.parse(e.body).error.message}`);
    res.writeHead(e.status, { ...e.headers, 'content-length': Buffer.byteLength(e.body) });
    res.end(e.body);
    return;
  }
  const r = refusal as Refusal | null;
  if (r) return sendError(res, r.status, r.type, r.message, r.extra);
  sendError(res, 500, 'api_error', `ccproxy gateway: no deployment was tried for model "${ctx.requestedModel}"`);
}

/** The names fallbacks are looked up by: the name routed (the label, or the requested model), then each entry it resolved through. */
function groupNames(state: RoutingState, job: RoutedJob): string[] {
  const { ctx, d } = job.labelled;
  const names: string[] = [];
  const add = (n: string) => {
    if (!names.includes(n)) names.push(n);
  };
  try {
    const e = explainRoute(state, ctx.label, ctx.requestedModel);
    if (e.deployment.index === d.index) {
      add(e.lookedUp);
      for (const step of e.chain) add(step.entry);
    }
  } catch {
    /* a hook chose a deployment the rules would not reach: its own name */
  }
  add(d.name);
  return names;
}
