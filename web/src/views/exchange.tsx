// One exchange: request and response (headers, body as tree and raw), the SSE events with their arrival times and
// the message they assemble into, timings, usage and cost with the price used, quota headers, curl, HAR.
import { useState } from 'preact/hooks';
import { apiPath, enc } from '../api';
import { compact, ms, usd, when } from '../format';
import { BodyPanel, Headers } from '../parts/body-view';
import { JsonTree } from '../parts/json-tree';
import { Failure, Loading } from '../parts/notice';
import { useApi } from '../parts/use-api';
import { href } from '../router';
import type { TraceDetail } from '../types';

export function ExchangeView({ id }: { id: string }) {
  const { data: d, error, reload } = useApi<TraceDetail>(`/api/traces/${enc(id)}`);
  if (error && !d) return <Failure error={error} retry={reload} />;
  if (!d) return <Loading what="the exchange" />;
  const r = d.response;
  // An upgraded connection its client left without a close (Codex CLI on every exit) did not fail.
  const leftUpgraded = r?.status === 101 && d.error?.type === 'client_aborted';
  const bad = (d.error !== null && !leftUpgraded) || (r?.status ?? 0) >= 400;
  // The client's request: a reverse trace, or a forward one that map_remote sent to the gateway (calls link to it).
  const client = d.parent_trace_id === null && (d.direction === 'reverse' || d.children.length > 0);
  return (
    <section class="view exchange" data-trace={d.trace_id}>
      {error && <Failure error={error} retry={reload} />}
      <h1 class="ex-title">
        <span class={`dir ${client ? 'reverse' : 'forward'}`}>{client ? 'client request' : 'provider request'}</span> <code>{d.request.method}</code> {d.request.url}
        <span class={`status ${bad ? 'bad' : ''}`}>{d.error && !leftUpgraded ? `${d.error.type ?? 'error'}` : (r?.status ?? 'no response')}</span>
      </h1>
      <div class="ex-links">
        {d.session_id && (
          <a href={href('session', d.session_id)}>
            session <code>{d.session_id}</code>
          </a>
        )}
        {d.parent_trace_id && <a href={href('trace', d.parent_trace_id)}>← the client request</a>}
        {d.children.map((c) => (
          <a key={c} href={href('trace', c)}>
            → provider request {c.slice(0, 8)}
          </a>
        ))}
        {d.request.original_url && d.request.original_url !== d.request.url && <span class="muted">sent to {d.request.url}, asked for {d.request.original_url}</span>}
        <a class="button" href={apiPath('/api/export/har', { ids: d.trace_id })} download={`${d.trace_id}.har`}>
          Download HAR
        </a>
        {d.curl && <CopyCurl curl={d.curl} />}
      </div>
      {d.error && (
        <div class={`notice ${leftUpgraded ? '' : 'error'}`}>
          {d.error.type}: {d.error.message}
        </div>
      )}
      <div class="ex-grid">
        <div>
          <h2>Request</h2>
          <Headers headers={d.request.headers} />
          <BodyPanel body={d.request.body} label="request body" />
        </div>
        <div>
          <h2>Response</h2>
          {r ? (
            <>
              <Headers headers={r.headers} />
              {d.sse ? <SseEvents sse={d.sse} /> : null}
              <BodyPanel body={r.body} label="response body" />
            </>
          ) : (
            <div class="muted">No response{d.error ? '' : ' yet: the exchange is in progress or was cut off'}.</div>
          )}
        </div>
      </div>
      {d.message && (
        <div class="card">
          <h2>Assembled message ({d.message.api})</h2>
          {d.message.thinking && <pre class="thinking">{d.message.thinking}</pre>}
          {d.message.text && <pre class="assistant">{d.message.text}</pre>}
          {d.message.toolCalls.map((t, i) => (
            <div key={i} class="tool-call">
              <strong>{t.name}</strong>
              <JsonTree value={t.input} open={1} />
            </div>
          ))}
          <div class="muted">stop reason: {d.message.stopReason ?? 'none (the stream ended without one)'}</div>
        </div>
      )}
      <div class="ex-grid">
        <Timings t={d.timings} />
        {d.calls.length > 1 ? d.calls.map((u, i) => <Usage key={i} usage={u} title={`Usage and cost: turn ${i + 1} of ${d.calls.length}`} />) : <Usage usage={d.usage} />}
      </div>
      {d.quota && (
        <div class="card">
          <h2>Quota headers</h2>
          <JsonTree value={d.quota} open={2} />
        </div>
      )}
      {d.websocket && (
        <div class="card">
          <h2>WebSocket messages ({d.websocket.length})</h2>
          <table class="events">
            <tbody>
              {d.websocket.slice(0, 2000).map((m) => (
                <tr key={m.seq}>
                  <td>{when(m.at)}</td>
                  <td>{m.direction}</td>
                  <td>{m.size} B</td>
                  <td class="data">{(m.data ?? '').slice(0, 500)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function CopyCurl({ curl }: { curl: { command: string | null; notes: string[] } }) {
  const [done, setDone] = useState<string | null>(null);
  const command = curl.command;
  if (command === null) return <span class="muted curl-note">{curl.notes.join(' ')}</span>;
  const copy = () => {
    const ok = () => setDone('copied');
    if (navigator.clipboard?.writeText) navigator.clipboard.writeText(command).then(ok, () => setDone('select and copy below'));
    else setDone('select and copy below');
  };
  return (
    <span class="curl">
      <button type="button" onClick={copy}>
        Copy as curl
      </button>
      {done && <span class="muted"> {done}</span>}
      {curl.notes.length > 0 && <span class="muted"> ({curl.notes.join('; ')})</span>}
      {done && done !== 'copied' && <textarea readOnly value={command} rows={3} />}
    </span>
  );
}

/** Streams of up to this many events are listed at once; longer ones on request. */
const SSE_OPEN = 200;

function SseEvents({ sse }: { sse: NonNullable<TraceDetail['sse']> }) {
  const [open, setOpen] = useState(sse.events.length <= SSE_OPEN);
  return (
    <div class="card sse">
      <h3>
        SSE events: {sse.count}
        {sse.cut ? ` (first ${sse.events.length} listed)` : ''}
        <button type="button" class="linkish" onClick={() => setOpen(!open)}>
          {open ? 'hide' : 'show'}
        </button>
      </h3>
      {sse.stream_cut && <div class="notice warn">The stream was cut midway: it ends without its last event.</div>}
      {open && (
        <table class="events">
          <thead>
            <tr>
              <th>+ms</th>
              <th>event</th>
              <th>data</th>
            </tr>
          </thead>
          <tbody>
            {sse.events.map((e, i) => (
              <tr key={i}>
                <td class="r">{e.time_ms === null ? '' : Math.round(e.time_ms)}</td>
                <td>{e.event ?? 'message'}</td>
                <td class="data">{e.data.length > 400 ? `${e.data.slice(0, 400)}…` : e.data}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Timings({ t }: { t: TraceDetail['timings'] }) {
  const rows: [string, string][] = [
    ['started', when(t.start)],
    ['duration', ms(t.duration_ms)],
    ['first byte', ms(t.ttfb_ms)],
    ['request sent', ms(t.request_sent_ms)],
    ['dns', ms(t.dns_ms)],
    ['connect', ms(t.connect_ms)],
    ['tls', ms(t.tls_ms)],
    ['chunks', t.chunk_count === null ? '–' : String(t.chunk_count)],
  ];
  return (
    <div class="card">
      <h2>Timings</h2>
      <table class="kv">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th>{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const TOKEN_KEYS = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens', 'reasoning_tokens'];

function Usage({ usage, title = 'Usage and cost' }: { usage: Record<string, unknown> | null; title?: string }) {
  if (!usage) {
    return (
      <div class="card">
        <h2>Usage and cost</h2>
        <div class="muted">Not an LLM call ccproxy recognised, or its answer carried no usage.</div>
      </div>
    );
  }
  const u = usage;
  const tokens = TOKEN_KEYS.filter((k) => typeof u[k] === 'number');
  return (
    <div class="card usage">
      <h2>{title}</h2>
      <table class="kv">
        <tbody>
          <tr>
            <th>model</th>
            <td>
              {String(u.requested_model ?? '–')}
              {u.served_model && u.served_model !== u.requested_model ? ` → served ${String(u.served_model)}` : ''}
            </td>
          </tr>
          {tokens.map((k) => (
            <tr key={k}>
              <th>{k.replace(/_tokens$/, '').replace(/_/g, ' ')}</th>
              <td>{compact(u[k] as number)}</td>
            </tr>
          ))}
          <tr>
            <th>cost</th>
            <td class="cost">{usd(typeof u.cost_usd === 'number' ? u.cost_usd : u.cost_usd === null ? null : Number(u.cost_usd))}</td>
          </tr>
          <tr>
            <th>price used</th>
            <td>{u.price_entry ? String(u.price_entry) : String(u.cost_note ?? 'no price known')}</td>
          </tr>
        </tbody>
      </table>
      {u.cost_parts ? <JsonTree value={u.cost_parts} open={1} /> : null}
    </div>
  );
}
