// A client request beside the provider request it caused (GET /api/traces/:id/pair): method and URL, the model
// (a rewritten one highlighted), headers added, dropped or changed (those a proxy hop changes by itself apart), and
// the body's structural differences.
import { enc } from '../api';
import { bytes } from '../format';
import { href } from '../router';
import type { JsonChange, PairDiff } from '../types';
import { ChangeList } from './diff-text';
import { Failure, Loading } from './notice';
import { useApi } from './use-api';

export function PairPanel({ clientId, providerId }: { clientId: string; providerId: string }) {
  const { data, error, reload } = useApi<{ trace_id: string; pairs: PairDiff[] }>(`/api/traces/${enc(clientId)}/pair`);
  if (error && !data) return <Failure error={error} retry={reload} />;
  if (!data) return <Loading what="both requests" />;
  const d = data.pairs.find((p) => p.forwardTraceId === providerId) ?? data.pairs[0];
  if (!d) return <div class="muted">No provider request is linked to this client request.</div>;
  const headerChanges = (transport: boolean): JsonChange[] => d.headers.filter((h) => h.transport === transport).map((h) => ({ path: h.name, kind: h.kind, before: h.before ?? undefined, after: h.after ?? undefined }));
  const own = headerChanges(false);
  const hop = headerChanges(true);
  return (
    <div class="pair" data-pair={`${d.reverseTraceId}:${d.forwardTraceId}`}>
      <table class="pair-table">
        <thead>
          <tr>
            <th />
            <th>
              <a href={href('trace', d.reverseTraceId)}>client sent</a>
            </th>
            <th>
              <a href={href('trace', d.forwardTraceId)}>provider got</a>
            </th>
          </tr>
        </thead>
        <tbody>
          <tr class={d.method.changed ? 'changed' : ''}>
            <th>method</th>
            <td>{d.method.before}</td>
            <td>{d.method.after}</td>
          </tr>
          <tr class={d.url.changed ? 'changed' : ''}>
            <th>url</th>
            <td>{d.url.before}</td>
            <td>{d.url.after}</td>
          </tr>
          <tr class={d.api.before !== d.api.after ? 'changed' : ''}>
            <th>API</th>
            <td>{d.api.before ?? '–'}</td>
            <td>{d.api.after ?? '–'}</td>
          </tr>
          <tr class={d.model.changed ? 'changed model-rewritten' : ''}>
            <th>model</th>
            <td>{d.model.before ?? '–'}</td>
            <td>
              {d.model.after ?? '–'}
              {d.model.changed && <span class="tag rewritten">model rewritten</span>}
            </td>
          </tr>
        </tbody>
      </table>
      {!d.linked && <div class="notice warn">These two are not linked in the store; shown side by side only.</div>}
      <h4>Headers: {own.length} changed by ccproxy or its rules</h4>
      <ChangeList changes={own} empty="no header added, dropped or changed" />
      {hop.length > 0 && (
        <details>
          <summary class="muted">{hop.length} changed by the hop itself (host, length, encodings…)</summary>
          <ChangeList changes={hop} />
        </details>
      )}
      <h4>
        Body {bytes(d.body.beforeBytes)} → {bytes(d.body.afterBytes)}
      </h4>
      {d.body.same ? (
        <div class="muted">byte for byte the same</div>
      ) : d.body.changes ? (
        <>
          <ChangeList changes={d.body.changes} />
          {d.body.truncated && <div class="muted">more differences than listed</div>}
        </>
      ) : (
        <div class="muted">different, and not both JSON: compare them in the exchange views</div>
      )}
      {d.notes.map((n, i) => (
        <div key={i} class="muted">
          {n}
        </div>
      ))}
    </div>
  );
}
