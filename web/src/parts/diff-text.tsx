// A unified diff (a file edit) with added and removed lines coloured, and a JSON change list (path, before, after).
import type { JsonChange } from '../types';

export function DiffText({ diff }: { diff: string }) {
  const lines = diff.split('\n');
  return (
    <pre class="diff">
      {lines.map((l, i) => (
        <div key={i} class={l.startsWith('+++') || l.startsWith('---') ? 'd-file' : l.startsWith('+') ? 'd-add' : l.startsWith('-') ? 'd-del' : l.startsWith('@@') ? 'd-hunk' : ''}>
          {l || ' '}
        </div>
      ))}
    </pre>
  );
}

const show = (v: unknown): string => {
  if (v === undefined) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 300 ? `${s.slice(0, 300)}… (${s.length} characters)` : s;
};

export function ChangeList({ changes, empty }: { changes: readonly JsonChange[]; empty?: string }) {
  if (changes.length === 0) return <div class="muted">{empty ?? 'no differences'}</div>;
  return (
    <table class="changes">
      <tbody>
        {changes.map((c, i) => (
          <tr key={i} class={`ch-${c.kind}`}>
            <td class="ch-kind">{c.kind}</td>
            <td class="ch-path">
              <code>{c.path || '(whole)'}</code>
            </td>
            <td class="ch-before">{show(c.before)}</td>
            <td class="ch-after">{show(c.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
