// One session: its exchanges as a timeline (each client request beside the provider requests it caused, side calls
// and subagents marked, grouped by thread), the conversation rebuilt from them, and the adjacent requests diffed
// with the cache misses explained. The tab and the selected exchange live in the address.
import { useCallback, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiFailure, apiPath, enc, getJson } from '../api';
import { compact, ms, usd, when } from '../format';
import { concerns, useLive } from '../live';
import { ErrorBoundary } from '../parts/error-boundary';
import { Empty, Failure, Loading } from '../parts/notice';
import { PairPanel } from '../parts/pair';
import { useApi } from '../parts/use-api';
import { VirtualList } from '../parts/virtual-list';
import { href, replaceQuery, type Route } from '../router';
import type { CallMark, Exchange, ExchangeLine, ExchangePage, Roles, Thread } from '../types';
import { CacheView } from './cache';
import { ConversationView } from './conversation';

/** Exchanges per page: the API's largest, so a 2,000-request session is two reads. */
const PAGE = 1000;
const FIRST_PAGE = 200;
const ROW = 48;

export function SessionView({ route, id }: { route: Route; id: string }) {
  const tab = route.query.get('tab') ?? 'timeline';
  const tabs: [string, string][] = [
    ['timeline', 'Timeline'],
    ['conversation', 'Conversation'],
    ['requests', 'Requests & cache'],
  ];
  return (
    <section class="view session" data-session={id}>
      <h1>
        Session <code>{id}</code>
      </h1>
      <nav class="tabs">
        {tabs.map(([k, label]) => (
          <a key={k} class={tab === k ? 'active' : ''} href={href('session', id, { tab: k === 'timeline' ? null : k })}>
            {label}
          </a>
        ))}
      </nav>
      <ErrorBoundary what={tab} resetKey={tab}>
        {tab === 'conversation' ? <ConversationView route={route} id={id} /> : tab === 'requests' ? <CacheView id={id} /> : <Timeline route={route} id={id} />}
      </ErrorBoundary>
    </section>
  );
}

const modelOf = (l: ExchangeLine | null | undefined) => l?.requested_model ?? l?.served_model ?? null;

function lineStatus(l: ExchangeLine) {
  const bad = l.error_type !== null || (l.status_code ?? 0) >= 400;
  return <span class={`status ${bad ? 'bad' : ''}`}>{l.error_type ?? l.status_code ?? '…'}</span>;
}

interface Mark {
  call: CallMark;
  thread: Thread | undefined;
}

function Timeline({ route, id }: { route: Route; id: string }) {
  const [items, setItems] = useState<Exchange[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const busy = useRef(false);
  /** A reload asked for while a read was under way (its answer may predate the rows that caused it). */
  const again = useRef(false);
  const sel = route.query.get('sel');
  const threadFilter = route.query.get('thread');

  const load = useCallback(
    (after: string | null) => {
      if (busy.current) {
        if (after === null) again.current = true;
        return;
      }
      busy.current = true;
      const done = () => {
        busy.current = false;
        if (again.current) {
          again.current = false;
          load(null);
        }
      };
      getJson<ExchangePage>(apiPath(`/api/sessions/${enc(id)}/exchanges`, { limit: after ? PAGE : FIRST_PAGE, after })).then(
        (p) => {
          setError(null);
          setItems((old) => (after === null ? p.exchanges : [...(old ?? []), ...p.exchanges]));
          setNext(p.next);
          done();
        },
        (e: unknown) => {
          setError(e instanceof ApiFailure ? e : new ApiFailure(0, 'error', String(e)));
          done();
        },
      );
    },
    [id],
  );
  // A layout effect: the read starts as the view mounts, not a frame later.
  useLayoutEffect(() => {
    setItems(null);
    load(null);
  }, [load]);
  // New exchanges arrive at the end: read on from the last page (or from the start while it is one page).
  const nextRef = useRef(next);
  nextRef.current = next;
  useLive(useCallback(() => (nextRef.current === null ? load(null) : undefined), [load]), 300, concerns(id));

  // Each call's role (main thread, subagent, side call) and the threads, read once the timeline is on screen.
  const roles = useApi<Roles>(items !== null ? `/api/sessions/${enc(id)}/roles` : null);
  const marks = useMemo(() => {
    const m = new Map<string, Mark>();
    const threads = new Map((roles.data?.threads ?? []).map((t) => [t.id, t]));
    for (const c of roles.data?.calls ?? []) {
      const mark = { call: c, thread: threads.get(c.threadId) };
      m.set(c.traceId, mark);
      for (const f of c.forwardTraceIds) m.set(f, mark);
    }
    return m;
  }, [roles.data]);
  const threads = roles.data?.threads ?? [];

  if (error && items === null) return <Failure error={error} retry={() => load(null)} />;
  if (items === null) return <Loading what="the exchanges" />;
  if (items.length === 0) return <Empty>This session has no exchanges (or none are stored any more).</Empty>;

  const markOf = (e: Exchange) => (e.client ? marks.get(e.client.trace_id) : undefined) ?? marks.get(e.provider[0]?.trace_id ?? '');
  const shown = threadFilter ? items.filter((e) => markOf(e)?.call.threadId === threadFilter) : items;
  const selected = sel ? items.find((e) => e.client?.trace_id === sel || e.provider.some((p) => p.trace_id === sel)) : undefined;
  // The whole session, however much of it is loaded: the filter names it (quoted, as the filter language reads strings).
  const harHref = apiPath('/api/export/har', { q: `~session "${id.replace(/[\\"]/g, (c) => `\\${c}`)}"` });

  return (
    <div class="timeline-wrap">
      {error && <Failure error={error} retry={() => load(null)} />}
      <div class="toolbar">
        <span class="muted">
          {items.length}
          {next ? '+' : ''} exchanges · {when(items[0]?.client?.start_time ?? items[0]?.provider[0]?.start_time)} – {when(items[items.length - 1]?.client?.start_time ?? items[items.length - 1]?.provider[0]?.start_time)}
        </span>
        {next && (
          <button type="button" onClick={() => load(next)}>
            Load more
          </button>
        )}
        <a class="button" href={harHref} download={`${id}.har`}>
          Download HAR
        </a>
      </div>
      {threads.length > 1 && (
        <div class="threads">
          <a class={threadFilter ? '' : 'active'} href={href('session', id, { thread: null, sel })}>
            all
          </a>
          {threads.map((t) => (
            <a key={t.id} class={`thread-chip ${t.kind} ${threadFilter === t.id ? 'active' : ''}`} href={href('session', id, { thread: t.id, sel })} title={t.firstPrompt ?? ''}>
              {t.kind === 'main' ? 'main thread' : t.kind === 'subagent' ? `subagent${t.startedBy ? `: ${t.startedBy.description ?? t.startedBy.toolName}` : ''}` : 'side call'} ({t.callIds.length})
            </a>
          ))}
        </div>
      )}
      {roles.error && roles.error.status !== 404 && <div class="muted">Roles not marked: {roles.error.message}</div>}
      <div class="trow-head">
        <span>time</span>
        <span>client request</span>
        <span />
        <span>provider request</span>
        <span class="r">tokens</span>
        <span class="r">cost</span>
        <span class="r">duration</span>
      </div>
      <VirtualList
        class="timeline"
        items={shown}
        rowHeight={ROW}
        height={selected ? '40vh' : 'calc(100vh - 260px)'}
        onEnd={next ? () => load(next) : undefined}
        row={(e) => <TimelineRow e={e} mark={markOf(e)} selected={e === selected} onSelect={(tid) => replaceQuery(route, { sel: tid })} />}
      />
      {selected && (
        <div class="selected">
          <ErrorBoundary what="exchange pair" resetKey={sel ?? ''}>
            <SelectedExchange e={selected} />
          </ErrorBoundary>
        </div>
      )}
    </div>
  );
}

function TimelineRow({ e, mark, selected, onSelect }: { e: Exchange; mark?: Mark; selected: boolean; onSelect: (id: string) => void }) {
  const c = e.client;
  const p = e.provider[0];
  const first = c ?? p!;
  const rewritten = e.flags.includes('model_rewritten');
  const tokens = (p ?? c)?.tokens;
  const cost = p?.cost_usd ?? c?.cost_usd ?? null;
  return (
    <div class={`tl-row ${selected ? 'sel' : ''} ${mark ? `role-${mark.call.role}` : ''}`} data-trace={first.trace_id} onClick={() => onSelect(first.trace_id)}>
      <span class="time">{when(first.start_time)}</span>
      <span class="side client">
        {c ? (
          <>
            <code>{c.method}</code> {c.path} <span class={rewritten ? 'model old' : 'model'}>{modelOf(c)}</span> {lineStatus(c)}
          </>
        ) : (
          <span class="muted">(no client request: the client's own HTTPS)</span>
        )}
      </span>
      <span class="arrow">{c && p ? '→' : ''}</span>
      <span class="side provider">
        {p ? (
          <>
            {p.host} <span class={rewritten ? 'model new' : 'model'}>{modelOf(p)}</span> {lineStatus(p)}
            {e.provider.length > 1 ? <span class="tag">+{e.provider.length - 1} retries</span> : null}
          </>
        ) : (
          <span class="muted">{c?.flags.includes('in_progress') ? 'in progress' : 'not forwarded'}</span>
        )}
        {rewritten && <span class="tag rewritten">model rewritten</span>}
        {mark?.call.role === 'side' && (
          <span class="tag side-call" title={mark.call.reasons.join(' ')}>
            side call{mark.call.sideKinds.length ? `: ${mark.call.sideKinds.join(', ').replace(/_/g, ' ')}` : ''}
          </span>
        )}
        {mark?.call.role === 'subagent' && (
          <span class="tag subagent" title={mark.thread?.firstPrompt ?? ''}>
            subagent{mark.thread?.startedBy?.description ? `: ${mark.thread.startedBy.description}` : ''}
          </span>
        )}
        {[...new Set([...(c?.flags ?? []), ...(p?.flags ?? [])])]
          .filter((f) => f === 'truncated' || f === 'error' || f === 'mapped' || f === 'websocket')
          .map((f) => (
            <span key={f} class={`tag ${f}`}>
              {f}
            </span>
          ))}
      </span>
      <span class="r">{tokens ? compact(tokens.total) : ''}</span>
      <span class="r">{cost === null ? '' : usd(cost)}</span>
      <span class="r">{ms(c?.duration_ms ?? p?.duration_ms)}</span>
    </div>
  );
}

function SelectedExchange({ e }: { e: Exchange }) {
  const c = e.client;
  const p = e.provider[0];
  return (
    <div>
      <div class="toolbar">
        {c && <a href={href('trace', c.trace_id)}>Open the client request</a>}
        {e.provider.map((x) => (
          <a key={x.trace_id} href={href('trace', x.trace_id)}>
            Open the provider request
          </a>
        ))}
        <a class="button" href={apiPath('/api/export/har', { ids: [...(c ? [c.trace_id] : []), ...e.provider.map((x) => x.trace_id)].join(',') })} download="exchange.har">
          Download HAR of this exchange
        </a>
      </div>
      {c && p ? <PairPanel clientId={c.trace_id} providerId={p.trace_id} /> : <div class="muted">Only one end of this exchange was captured: open it for the details.</div>}
    </div>
  );
}
