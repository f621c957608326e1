// Messages on the page: a failure said plainly with a way to try again, an empty state, a loading line.
import type { ComponentChildren } from 'preact';
import type { ApiFailure } from '../api';

export function Failure({ error, retry }: { error: ApiFailure | Error; retry?: () => void }) {
  const status = 'status' in error && typeof error.status === 'number' && error.status > 0 ? ` (${error.status})` : '';
  return (
    <div class="notice error" role="alert">
      <span>{error.message}{status}</span>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="notice empty">{children}</div>;
}

export function Loading({ what }: { what: string }) {
  return <div class="notice loading">Loading {what}…</div>;
}
