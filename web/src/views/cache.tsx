// Adjacent requests of a session diffed by section (tools, system prompt, messages, parameters), with each cache
// miss explained: the block where the prefix broke, or the TTL (5-minute or 1-hour) that ran out, and what it cost.
// Read a page of requests at a time (/diffs?only=…): the whole report of a long session reads every body.
import { useCallback, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, apiPath, enc, getJson } from '../api';
import { compact, ms, usd } from '../format';
import { concerns, useLive } from '../live';
import { ChangeList } from '../parts/diff-text';
import { Empty, Failure, Loading } from '../parts/notice';
import { href } from '../router';
import type { CacheReport, ExchangePage, RequestStep } from '../types';

/** Requests diffed per read. */
const STEPS_PAGE = 50;

interface Loaded {
  steps: RequestStep[];
  misses: number;
  missCostUsd: number;
  notes: string[];
  capped: boolean;
  /** The exchanges cursor of the next page of requests; null when all are read. */
  next: string | null;
}

export function CacheView({ id }: { id: string }) {
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);
  const busyRef = useRef(false);

  const load = useCallback(
    async (after: string | null, old: Loaded | null) => {
      if (busyRef.current) return;
      busyRef.current = true;
      setBusy(true);
      try {
        const page = await getJson<ExchangePage>(apiPath(`/api/sessions/${enc(id)}/exchanges`, { limit: STEPS_PAGE, after }));
        const ids = page.exchanges.map((e) => e.client?.trace_id ?? e.provider[0]?.trace_id).filter((x): x is string => !!x);
        const r = ids.length ? await getJson<CacheReport>(apiPath(`/api/sessions/${enc(id)}/diffs`, { only: ids.join(',') })) : { steps: [], misses: 0, missCostUsd: 0, notes: [], capped: false };
        const base = after === null || !old ? { steps: [], misses: 0, missCostUsd: 0, notes: [] as string[], capped: false } : old;
        setData({ steps: [...base.steps, ...r.steps], misses: base.misses + r.misses, missCostUsd: base.missCostUsd + r.missCostUsd, notes: [...new Set([...base.notes, ...r.notes])], capped: base.capped || !!r.capped, next: page.next });
        setError(null);
      } catch (e) {
        setError(e instanceof ApiFailure ? e : new ApiFailure(0, 'error', String(e)));
      } finally {
        busyRef.current = false;
        setBusy(false);
      }
    },
    [id],
  );
  useLayoutEffect(() => {
    setData(null);
    void load(null, null);
  }, [load]);
  // New rows of this session: read the first page again while it is the only one shown.
  const dataRef = useRef(data);
  dataRef.current = data;
  useLive(useCallback(() => ((dataRef.current?.steps.length ?? 0) <= STEPS_PAGE ? void load(null, null) : undefined), [load]), 1000, concerns(id));

  if (error && !data) return <Failure error={error} retry={() => void load(null, null)} />;
  if (!data) return <Loading what="the request diffs" />;
  return (
    <div class="cache-view">
      {error && <Failure error={error} retry={() => void load(data.next, data)} />}
      <div class="card">
        <strong>{data.misses}</strong> cache {data.misses === 1 ? 'miss' : 'misses'}
        {data.missCostUsd > 0 ? <>, costing {usd(data.missCostUsd)} more than cache reads would have</> : null} over {data.steps.length}
        {data.next ? ' requests read so far' : ' requests'}.
      </div>
      {data.capped && <div class="notice warn">A long session: only its newest exchanges were read for this view.</div>}
      {data.notes.map((n, i) => (
        <div key={i} class="notice info">
          {n}
        </div>
      ))}
      {data.steps.length === 0 && !data.next && <Empty>No LLM requests to compare in this session.</Empty>}
      {data.steps.map((s) => (
        <Step key={s.traceId} s={s} />
      ))}
      {data.next && (
        <button type="button" disabled={busy} onClick={() => void load(data.next, data)}>
          {busy ? 'Reading…' : `Diff the next ${STEPS_PAGE} requests`}
        </button>
      )}
    </div>
  );
}

function Step({ s }: { s: RequestStep }) {
  const n = s.changes.tools.length + s.changes.system.length + s.changes.messages.length + s.changes.params.length;
  return (
    <div class={`step card ${s.miss ? 'has-miss' : ''}`} data-trace={s.traceId}>
      <div class="step-head">
        <a href={href('trace', s.traceId)}>
          <code>{s.traceId.slice(0, 12)}</code>
        </a>
        {s.previousTraceId ? <span class="muted"> after {ms(s.gapMs)}</span> : <span class="muted"> first request of its thread</span>}
        {s.usage && (
          <span class="muted">
            {' '}· input {compact(s.usage.input ?? null)} · cache read {compact(s.usage.cacheRead ?? null)} · cache write {compact((s.usage.cacheWrite5m ?? 0) + (s.usage.cacheWrite1h ?? 0))}
          </span>
        )}
        {s.firstDifference && <span class="tag">first change: {s.firstDifference.label}</span>}
        {s.breakpoints.length > 0 && <span class="muted"> · breakpoints: {s.breakpoints.map((b) => `${b.label} (${b.ttl})`).join(', ')}</span>}
      </div>
      {s.miss && (
        <div class={`cache-miss cause-${s.miss.cause}`} role="note">
          <strong>Cache miss:</strong> {s.miss.explanation}
          <div class="muted">
            expected to read {compact(s.miss.expectedReadTokens)} tokens, read {compact(s.miss.readTokens)}, missed {compact(s.miss.missedTokens)}
            {s.miss.brokeAt ? ` · prefix broke at ${s.miss.brokeAt.label}` : ''}
            {s.miss.ttl ? ` · written with a ${s.miss.ttl} TTL${s.miss.ttlExpired ? ', which ran out' : ''}` : ''}
            {s.miss.cost ? ` · cost ${usd(s.miss.cost.usd)} (${s.miss.cost.paidAs} at $${s.miss.cost.paidRate}/M instead of $${s.miss.cost.readRate}/M, ${s.miss.cost.priceEntry})` : s.miss.costNote ? ` · ${s.miss.costNote}` : ''}
          </div>
        </div>
      )}
      {s.previousTraceId && n > 0 && (
        <details open={!!s.miss}>
          <summary>
            {n} changes: tools {s.changes.tools.length}, system {s.changes.system.length}, messages {s.changes.messages.length}, parameters {s.changes.params.length}
            {s.truncated ? ' (more not listed)' : ''}
          </summary>
          {(['system', 'tools', 'messages', 'params'] as const).map((k) =>
            s.changes[k].length ? (
              <div key={k}>
                <h4>{k}</h4>
                <ChangeList changes={s.changes[k]} />
              </div>
            ) : null,
          )}
        </details>
      )}
    </div>
  );
}
