// One stored body: as a JSON tree or raw text, the start the detail carried and the whole fetched only when asked
// (a 10 MB body costs nothing until opened). A body that is not JSON, binary, cut by the capture or absent says so.
import { useMemo, useState } from 'preact/hooks';
import { ApiFailure, getText } from '../api';
import { bytes } from '../format';
import type { BodyView } from '../types';
import { JsonTree } from './json-tree';
import { Failure } from './notice';

/** Raw text drawn at once; the rest behind a button (layout of megabytes of text is slow). */
const RAW_SHOWN = 256 * 1024;

type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

function parse(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

export function BodyPanel({ body, label }: { body: BodyView; label: string }) {
  const [whole, setWhole] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [mode, setMode] = useState<'tree' | 'raw'>(body.json ? 'tree' : 'raw');
  const [rawAll, setRawAll] = useState(false);
  const text = whole ?? body.text ?? '';
  const complete = whole !== null || !body.cut;
  const parsed = useMemo<Parsed | null>(() => (complete && body.encoding === 'utf8' && text !== '' ? parse(text) : null), [text, complete, body.encoding]);

  if (body.encoding === 'none') {
    return <div class="muted body-empty">{label}: no body{body.size > 0 ? ` stored (${bytes(body.size)} on the wire)` : ''}</div>;
  }
  const open = () => {
    setLoading(true);
    getText(body.href).then(
      (t) => {
        setWhole(t);
        setLoading(false);
        // Parsed once, by the memo below; a body that is not JSON falls back to raw there.
        setMode('tree');
      },
      (e: unknown) => {
        setLoading(false);
        setError(e instanceof ApiFailure ? e : new ApiFailure(0, 'error', String(e)));
      },
    );
  };
  const looksJson = parsed?.ok === true;
  return (
    <div class="body-panel" data-body={label}>
      <div class="body-bar">
        <strong>{label}</strong>
        <span class="muted">
          {bytes(body.stored_bytes)} stored{body.content_type ? ` · ${body.content_type}` : ''}
          {body.encoding === 'base64' ? ' · binary, shown as base64' : ''}
        </span>
        {body.encoding === 'utf8' && (
          <span class="tabs small">
            <button type="button" class={mode === 'tree' ? 'active' : ''} disabled={!looksJson} onClick={() => setMode('tree')}>
              Tree
            </button>
            <button type="button" class={mode === 'raw' ? 'active' : ''} onClick={() => setMode('raw')}>
              Raw
            </button>
          </span>
        )}
        {body.cut && whole === null && (
          <button type="button" class="open-whole" disabled={loading} onClick={open}>
            {loading ? 'Opening…' : `Open the whole body (${bytes(body.stored_bytes)})`}
          </button>
        )}
        <a class="button" href={`${body.href}?download=1`} download>
          Download
        </a>
      </div>
      {body.truncated && <div class="notice warn">The capture kept only the first {bytes(body.stored_bytes)} of {bytes(body.size)} (max_body_size).</div>}
      {body.cut && whole === null && <div class="notice info">Showing the first {bytes((body.text ?? '').length)}; open the whole body to see it all.</div>}
      {error && <Failure error={error} retry={open} />}
      {parsed && !parsed.ok && body.encoding === 'utf8' && (body.json || /json/i.test(body.content_type ?? '')) && (
        <div class="notice warn">This body is not valid JSON ({parsed.message}); shown as text.</div>
      )}
      {mode === 'tree' && looksJson ? (
        <JsonTree value={(parsed as { ok: true; value: unknown }).value} open={2} />
      ) : (
        <pre class="raw">
          {rawAll || text.length <= RAW_SHOWN ? text : text.slice(0, RAW_SHOWN)}
          {!rawAll && text.length > RAW_SHOWN && (
            <button type="button" class="linkish" onClick={() => setRawAll(true)}>
              {'\n'}… show the other {bytes(text.length - RAW_SHOWN)}
            </button>
          )}
        </pre>
      )}
    </div>
  );
}

export function Headers({ headers }: { headers: Record<string, unknown> }) {
  const rows = Object.entries(headers ?? {});
  if (rows.length === 0) return <div class="muted">no headers</div>;
  return (
    <table class="headers">
      <tbody>
        {rows.flatMap(([k, v]) =>
          (Array.isArray(v) ? v : [v]).map((one, i) => (
            <tr key={`${k}-${i}`}>
              <th>{k}</th>
              <td>{String(one)}</td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}
