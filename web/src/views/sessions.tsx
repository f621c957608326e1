// Sessions, newest first, one line each (client, requests, models, tokens by kind, cost, cache-hit rate, errors,
// duration), paged as the list scrolls and refreshed in place when /api/live says traces were written.
import { useCallback, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, apiPath, getJson } from '../api';
import { compact, clientName, ms, pct, shortId, usd, when } from '../format';
import { useLive } from '../live';
import { FilterBar } from '../parts/filter-bar';
import { Empty, Failure, Loading } from '../parts/notice';
import { VirtualList } from '../parts/virtual-list';
import { href, replaceQuery, type Route } from '../router';
import type { SessionPage, SessionSummary } from '../types';

/** A screenful first (the server sums every session it lists: fewer rows, sooner drawn), then larger pages as the list scrolls. */
const FIRST_PAGE = 25;
const PAGE = 50;
const ROW = 46;

/** The first page's sessions first (they are the newest, and may have moved up), then the rest as they were. */
export function mergeSessions(first: readonly SessionSummary[], old: readonly SessionSummary[]): SessionSummary[] {
  const seen = new Set(first.map((s) => s.session_id));
  return [...first, ...old.filter((s) => !seen.has(s.session_id))];
}

export function SessionsView({ route }: { route: Route }) {
  const filter = route.query.get('q') ?? '';
  const [sessions, setSessions] = useState<SessionSummary[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const busy = useRef(false);

  const load = useCallback(
    (before: string | null, merge: boolean) => {
      if (busy.current && before !== null) return;
      busy.current = true;
      getJson<SessionPage>(apiPath('/api/sessions', { q: filter, limit: before === null ? FIRST_PAGE : PAGE, before })).then(
        (p) => {
          busy.current = false;
          setError(null);
          if (before !== null) setSessions((old) => [...(old ?? []), ...p.sessions]);
          else if (merge) setSessions((old) => mergeSessions(p.sessions, old ?? []));
          else setSessions(p.sessions);
          // A refresh of the first page leaves the cursor where scrolling had taken it.
          if (before !== null || !merge) setNext(p.next);
        },
        (e: unknown) => {
          busy.current = false;
          setError(e instanceof ApiFailure ? e : new ApiFailure(0, 'error', String(e)));
        },
      );
    },
    [filter],
  );

  // A layout effect: the read starts as the view mounts, not a frame later.
  useLayoutEffect(() => {
    setSessions(null);
    load(null, false);
  }, [load]);
  useLive(useCallback(() => load(null, true), [load]));

  const header = (
    <div class="srow shead">
      <span>session</span>
      <span>last</span>
      <span class="r">requests</span>
      <span>models</span>
      <span class="r" title="input / output / cache read / cache write">tokens in · out · read · write</span>
      <span class="r">cost</span>
      <span class="r">cache hit</span>
      <span class="r">errors</span>
      <span class="r">duration</span>
    </div>
  );

  return (
    <section class="view sessions">
      <FilterBar value={filter} error={error} onApply={(f) => replaceQuery(route, { q: f })} />
      {error && error.type !== 'invalid_filter' && <Failure error={error} retry={() => load(null, sessions !== null)} />}
      {sessions === null && !error && <Loading what="sessions" />}
      {sessions !== null && sessions.length === 0 && (
        <Empty>{filter ? 'No session has an exchange that matches this filter.' : 'No sessions yet: the database holds no traces. Run a client through ccproxy and they appear here.'}</Empty>
      )}
      {sessions !== null && sessions.length > 0 && (
        <VirtualList
          class="session-list"
          items={sessions}
          rowHeight={ROW}
          height="calc(100vh - 150px)"
          header={header}
          onEnd={next ? () => load(next, false) : undefined}
          row={(s) => <SessionRow s={s} />}
        />
      )}
    </section>
  );
}

function SessionRow({ s }: { s: SessionSummary }) {
  const t = s.tokens;
  return (
    <a class="srow" href={href('session', s.session_id)} data-session={s.session_id}>
      <span class="sid">
        <code title={s.session_id}>{shortId(s.session_id)}</code>
        <small title={s.client ?? ''}>{clientName(s.client)}</small>
      </span>
      <span title={s.first_time}>{when(s.last_time)}</span>
      <span class="r">{compact(s.requests)}</span>
      <span class="models" title={s.models.join(', ')}>
        {s.models.join(', ') || '–'}
      </span>
      <span class="r tokens">
        {compact(t.input)} · {compact(t.output)} · {compact(t.cache_read)} · {compact(t.cache_write_5m + t.cache_write_1h)}
      </span>
      <span class="r" title={s.unpriced ? `${s.unpriced} calls could not be priced` : ''}>
        {usd(s.cost_usd)}
        {s.unpriced ? '*' : ''}
      </span>
      <span class="r">{pct(s.cache_hit_rate)}</span>
      <span class={`r ${s.errors ? 'bad' : ''}`}>{s.errors}</span>
      <span class="r">{ms(s.duration_ms)}</span>
    </a>
  );
}
