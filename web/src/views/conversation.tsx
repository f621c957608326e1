// The conversation of a session as a reader sees it: user turns, assistant text, thinking, tool calls with their
// input and result (a Bash command with its output, an edit as a diff), long results folded; one thread at a time.
import { useState } from 'preact/hooks';
import { apiPath, enc } from '../api';
import { DiffText } from '../parts/diff-text';
import { JsonTree } from '../parts/json-tree';
import { Empty, Failure, Loading } from '../parts/notice';
import { useApi } from '../parts/use-api';
import { concerns, useLive } from '../live';
import { href, type Route } from '../router';
import type { Conversation, ConversationItem, ToolResultView } from '../types';

/** Items drawn at first; a long conversation shows the rest on request. */
const FIRST_ITEMS = 400;

export function ConversationView({ route, id }: { route: Route; id: string }) {
  const thread = route.query.get('thread');
  const { data, error, reload } = useApi<Conversation>(apiPath(`/api/sessions/${enc(id)}/conversation`, { thread }));
  // New exchanges of this session make the analysis read again.
  useLive(reload, 1000, concerns(id));
  const [limit, setLimit] = useState(FIRST_ITEMS);
  if (error && !data) return <Failure error={error} retry={reload} />;
  if (!data) return <Loading what="the conversation" />;
  const items = data.items;
  return (
    <div class="conversation">
      {error && <Failure error={error} retry={reload} />}
      {data.threads.length > 1 && (
        <div class="threads">
          {data.threads.map((t) => (
            <a key={t.id} class={`thread-chip ${t.kind} ${(thread ?? data.threadId) === t.id ? 'active' : ''}`} href={href('session', id, { tab: 'conversation', thread: t.id })} title={t.firstPrompt ?? ''}>
              {t.kind === 'main' ? 'main thread' : t.kind === 'subagent' ? `subagent${t.startedBy?.description ? `: ${t.startedBy.description}` : ''}` : 'side call'} · {t.callIds.length} calls
            </a>
          ))}
        </div>
      )}
      <div class="muted conv-meta">
        {data.api ?? 'unknown API'} · {data.model ?? 'unknown model'} · {data.tools.length} tools
        {data.historyTraceId && (
          <>
            {' '}· history from <a href={href('trace', data.historyTraceId)}>this request</a>
          </>
        )}
      </div>
      {data.capped && <div class="notice warn">A long session: only its newest exchanges were read for this view.</div>}
      {data.notes.map((n, i) => (
        <div key={i} class="notice info">
          {n}
        </div>
      ))}
      {data.system && (
        <details class="system-prompt">
          <summary>System prompt ({data.system.length} characters)</summary>
          <pre>{data.system}</pre>
        </details>
      )}
      {items.length === 0 && <Empty>No conversation could be read from this session's requests (no LLM calls, or their bodies are not readable).</Empty>}
      {items.slice(0, limit).map((it, i) => (
        <Item key={i} item={it} sessionId={id} />
      ))}
      {items.length > limit && (
        <button type="button" onClick={() => setLimit(limit + FIRST_ITEMS * 2)}>
          Show {Math.min(items.length - limit, FIRST_ITEMS * 2)} more of {items.length - limit}
        </button>
      )}
    </div>
  );
}

function Folded({ text, foldable, cls }: { text: string; foldable: boolean; cls?: string }) {
  const [open, setOpen] = useState(!foldable);
  if (open) return <pre class={cls}>{text}</pre>;
  const lines = text.split('\n');
  return (
    <div class="folded">
      <pre class={cls}>{lines.slice(0, 8).join('\n')}</pre>
      <button type="button" class="linkish" onClick={() => setOpen(true)}>
        show all {lines.length} lines ({text.length} characters)
      </button>
    </div>
  );
}

function Result({ r }: { r: ToolResultView }) {
  return (
    <div class={`tool-result ${r.isError ? 'bad' : ''}`}>
      <div class="label">result{r.isError ? ' (error)' : ''}</div>
      <Folded text={r.text} foldable={r.foldable} />
    </div>
  );
}

function Item({ item, sessionId }: { item: ConversationItem; sessionId: string }) {
  switch (item.kind) {
    case 'user':
      return (
        <div class="turn user">
          <div class="label">user</div>
          <pre>{item.text}</pre>
        </div>
      );
    case 'system':
      return (
        <details class="turn system">
          <summary>system text ({item.text.length} characters)</summary>
          <pre>{item.text}</pre>
        </details>
      );
    case 'assistant':
      return (
        <div class="turn assistant">
          <div class="label">assistant</div>
          <pre>{item.text}</pre>
        </div>
      );
    case 'thinking':
      return (
        <details class="turn thinking">
          <summary>thinking{item.redacted ? ' (redacted by the provider)' : ` (${item.text.length} characters)`}</summary>
          <pre>{item.text}</pre>
        </details>
      );
    case 'attachment':
      return (
        <div class="turn attachment muted">
          {item.role}: {item.what}
          {item.mediaType ? ` (${item.mediaType})` : ''}
        </div>
      );
    case 'tool_result':
      return (
        <div class="turn tool">
          <div class="label">tool result {item.id ? <code>{item.id}</code> : null} (its call is not in the history)</div>
          <Result r={item.result} />
        </div>
      );
    case 'tool_call': {
      const v = item.view;
      return (
        <div class="turn tool" data-tool={item.name}>
          <div class="label">
            tool call <strong class="tool-name">{item.name}</strong>
            {item.subagentThreadId && (
              <>
                {' '}· <a href={href('session', sessionId, { tab: 'conversation', thread: item.subagentThreadId })}>its subagent's conversation</a>
              </>
            )}
          </div>
          {v?.kind === 'bash' ? (
            <div class="bash">
              {v.description && <div class="muted">{v.description}</div>}
              <pre class="command">$ {v.command}</pre>
              {v.output !== null && <Folded text={v.output} foldable={item.result?.foldable ?? false} cls={`output ${v.isError ? 'bad' : ''}`} />}
              {v.exitCode !== null && <div class={`muted ${v.exitCode !== 0 ? 'bad' : ''}`}>exit code {v.exitCode}</div>}
            </div>
          ) : v?.kind === 'edit' ? (
            <div class="edit">
              <div class="muted">
                {v.path ?? 'a file'} · +{v.added} −{v.removed}
                {v.wholeFile ? ' · whole file written' : ''}
              </div>
              <DiffText diff={v.diff} />
              {item.result && <Result r={item.result} />}
            </div>
          ) : (
            <>
              <JsonTree value={item.input} open={1} />
              {item.result ? <Result r={item.result} /> : <div class="muted">no result in the history</div>}
            </>
          )}
        </div>
      );
    }
    default:
      return null;
  }
}
