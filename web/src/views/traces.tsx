// Every exchange, newest first, under a filter in the language of `ccproxy traces` (full-text body search with
// ~b, ~bq, ~bs); the matching exchanges can be downloaded as HAR.
import { useCallback, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, apiPath, getJson } from '../api';
import { compact, ms, shortId, usd, when } from '../format';
import { useLive } from '../live';
import { FilterBar } from '../parts/filter-bar';
import { Empty, Failure, Loading } from '../parts/notice';
import { VirtualList } from '../parts/virtual-list';
import { href, replaceQuery, type Route } from '../router';
import type { TracePage, TraceSummary } from '../types';

const PAGE = 200;

export function TracesView({ route }: { route: Route }) {
  const filter = route.query.get('q') ?? '';
  const [traces, setTraces] = useState<TraceSummary[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const busy = useRef(false);
  const load = useCallback(
    (before: string | null) => {
      if (busy.current && before !== null) return;
      busy.current = true;
      getJson<TracePage>(apiPath('/api/traces', { q: filter, limit: PAGE, before })).then(
        (p) => {
          busy.current = false;
          setError(null);
          setTraces((old) => (before === null ? p.traces : [...(old ?? []), ...p.traces]));
          setNext(p.next);
        },
        (e: unknown) => {
          busy.current = false;
          setError(e instanceof ApiFailure ? e : new ApiFailure(0, 'error', String(e)));
        },
      );
    },
    [filter],
  );
  useLayoutEffect(() => {
    setTraces(null);
    load(null);
  }, [load]);
  // New exchanges at the top, as long as the list has not been scrolled into older pages.
  useLive(useCallback(() => (next === null || (traces?.length ?? 0) <= PAGE ? load(null) : undefined), [load, next, traces]));

  return (
    <section class="view traces">
      <FilterBar value={filter} error={error} onApply={(f) => replaceQuery(route, { q: f })} />
      <div class="toolbar">
        {/* Not offered for a filter that does not parse: the download would be the same error. */}
        {error?.type !== 'invalid_filter' && (
          <a class="button" href={apiPath('/api/export/har', { q: filter })} download="ccproxy.har">
            Download HAR{filter ? ' (matching)' : ' (all)'}
          </a>
        )}
        {traces && <span class="muted">{traces.length}{next ? '+' : ''} exchanges</span>}
      </div>
      {error && error.type !== 'invalid_filter' && <Failure error={error} retry={() => load(null)} />}
      {traces === null && !error && <Loading what="exchanges" />}
      {traces !== null && traces.length === 0 && <Empty>{filter ? 'No exchange matches this filter.' : 'No exchanges yet.'}</Empty>}
      {traces !== null && traces.length > 0 && (
        <VirtualList
          class="trace-list"
          items={traces}
          rowHeight={30}
          height="calc(100vh - 190px)"
          onEnd={next ? () => load(next) : undefined}
          row={(t) => (
            <a class="trow" href={href('trace', t.trace_id)} data-trace={t.trace_id}>
              <span>{when(t.start_time)}</span>
              <span class={`dir ${t.direction}`}>{t.direction === 'reverse' ? 'client' : 'provider'}</span>
              <span>{t.method}</span>
              <span class="path" title={`${t.host ?? ''}${t.path ?? ''}`}>
                {t.host}
                {t.path}
              </span>
              <span class={(t.status_code ?? 0) >= 400 || t.error_type ? 'bad' : ''}>{t.error_type ?? t.status_code ?? '…'}</span>
              <span>{t.model ?? ''}</span>
              <span class="r">{t.tokens === null ? '' : compact(t.tokens)}</span>
              <span class="r">{t.cost_usd === null ? '' : usd(t.cost_usd)}</span>
              <span class="r">{ms(t.duration_ms)}</span>
              <span>
                {t.session_id ? (
                  <code title={t.session_id}>{shortId(t.session_id)}</code>
                ) : (
                  ''
                )}
              </span>
            </a>
          )}
        />
      )}
    </section>
  );
}
