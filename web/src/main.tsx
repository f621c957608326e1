// The viewer page: a header with the views and the live state, then the view the address names, each inside its
// own error boundary so that nothing a view throws leaves a blank page.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson, ApiFailure } from './api';
import { useLiveState } from './live';
import { ErrorBoundary } from './parts/error-boundary';
import { href, useRoute } from './router';
import type { Health } from './types';
import { ExchangeView } from './views/exchange';
import { QuotaView } from './views/quota';
import { SessionView } from './views/session';
import { SessionsView } from './views/sessions';
import { TracesView } from './views/traces';
import './style.css';

/** How often the page asks whether the database is back while it is away. */
const HEALTH_POLL_MS = 3_000;

function DatabaseBanner() {
  const live = useLiveState();
  const [health, setHealth] = useState<{ up: boolean; message: string | null; viewerGone?: boolean } | null>(null);
  // Asked only while the live stream says the database is away, or cannot say (the stream itself is down).
  const doubt = live.database === false || !live.connected;
  const down = live.database === false || (doubt && health?.up === false);
  useEffect(() => {
    if (!doubt) {
      setHealth(null);
      return;
    }
    let stop = false;
    const check = () =>
      getJson<Health>('/api/health').then(
        (h) => !stop && setHealth({ up: h.database.up, message: null }),
        (e: unknown) => !stop && setHealth({ up: false, message: e instanceof ApiFailure ? e.message : String(e), viewerGone: e instanceof ApiFailure && e.type === 'unreachable' }),
      );
    const first = setTimeout(check, live.database === false ? 0 : HEALTH_POLL_MS);
    const t = setInterval(check, HEALTH_POLL_MS);
    return () => {
      stop = true;
      clearTimeout(first);
      clearInterval(t);
    };
  }, [doubt, live.database]);
  if (!down) return null;
  // The page's own server answers nothing: ccproxy (or this viewer) has stopped, which is not the database's doing.
  if (health?.viewerGone)
    return (
      <div class="banner down" role="alert">
        ccproxy cannot be reached: has it stopped? What is on screen stays; the page updates again when it is back.
      </div>
    );
  // The server's message often starts with the same words as the banner.
  const why = (health?.message ?? live.message ?? '').replace(/^the database cannot be reached:\s*/i, '');
  return (
    <div class="banner down" role="alert">
      The database cannot be reached{why ? `: ${why}` : ''}. What is on screen stays; the page
      updates again when it is back.
    </div>
  );
}

function LiveDot() {
  const live = useLiveState();
  return (
    <span class={`live ${live.connected ? 'on' : 'off'}`} title={live.connected ? 'new traces appear as they are written' : 'not receiving live updates'}>
      {live.connected ? '● live' : '○ not live'}
    </span>
  );
}

function App() {
  const route = useRoute();
  const key = `${route.name}/${route.id ?? ''}`;
  let view;
  switch (route.name) {
    case 'sessions':
      view = <SessionsView route={route} />;
      break;
    case 'session':
      view = <SessionView route={route} id={route.id!} />;
      break;
    case 'trace':
      view = <ExchangeView id={route.id!} />;
      break;
    case 'traces':
      view = <TracesView route={route} />;
      break;
    case 'quota':
      view = <QuotaView />;
      break;
    default:
      view = (
        <div class="notice empty">
          Nothing here. <a href={href('sessions')}>Sessions</a>
        </div>
      );
  }
  return (
    <>
      <header class="top">
        <a class="brand" href={href('sessions')}>
          ccproxy
        </a>
        <nav>
          <a class={route.name === 'sessions' || route.name === 'session' ? 'active' : ''} href={href('sessions')}>
            Sessions
          </a>
          <a class={route.name === 'traces' || route.name === 'trace' ? 'active' : ''} href={href('traces')}>
            Exchanges
          </a>
          <a class={route.name === 'quota' ? 'active' : ''} href={href('quota')}>
            Quota
          </a>
        </nav>
        <LiveDot />
      </header>
      <DatabaseBanner />
      <main>
        <ErrorBoundary what={`${route.name} view`} resetKey={key}>
          {view}
        </ErrorBoundary>
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
