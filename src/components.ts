// The components of a running ccproxy, by the names users see everywhere: `ccproxy status` (its rows and its
// --json keys), the state file, the tag that starts each log line, and `ccproxy logs <component>`. Code that
// names a component takes the name from here, so there is one word for each.
import { UserError } from './errors.js';

export const COMPONENTS = ['gateway', 'reverse', 'forward', 'database', 'viewer'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

/** The capture points, by the direction they record (reverse: proxy_direction 0, forward: 1). */
export type CapturePointName = Extract<ComponentName, 'reverse' | 'forward'>;

/**
 * The tags of the lines `ccproxy logs <name>` keeps: the components', the database's parts (writer, retention),
 * the daemon's own; and the tags the capture points' lines carried before they took their components' names
 * (`mitm-reverse`, `mitm-forward`), so a log written by an earlier version still filters.
 */
export const LOG_TAGS: Readonly<Record<ComponentName | 'daemon', readonly string[]>> = {
  gateway: ['gateway'],
  reverse: ['reverse', 'mitm-reverse'],
  forward: ['forward', 'mitm-forward'],
  database: ['database', 'writer', 'retention'],
  viewer: ['viewer'],
  daemon: ['daemon'],
};

/** Whether a log line belongs to `component` (a name above, or one tag of one); all lines when none is given. */
export function lineFilter(component: string | undefined): (line: string) => boolean {
  if (!component) return () => true;
  const all = Object.values(LOG_TAGS);
  const tags = Object.hasOwn(LOG_TAGS, component) ? LOG_TAGS[component as keyof typeof LOG_TAGS] : all.some((t) => t.includes(component)) ? [component] : null;
  if (!tags) throw new UserError(`unknown component "${component}"; one of ${Object.keys(LOG_TAGS).join(', ')}`, 2);
  // `2025-01-01T00:00:00.000Z info  [gateway] message`
  const re = new RegExp(`^\\S+ +\\w+ +\\[(?:${tags.join('|')})\\] `);
  return (line) => re.test(line);
}
