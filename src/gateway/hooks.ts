// Hooks run in the configured order on every routed request, before it leaves: the original's built-ins by
// their names (ccproxy.hooks.rule_evaluator, model_router, forward_oauth, forward_apikey, extract_session_id)
// and custom hooks as JS modules: `(ctx: HookContext, params) => void | Promise<void>` (see the README).
import type { IncomingHttpHeaders } from 'node:http';
import { sessionFromBody, sessionFromHeaders } from '../capture/session.js';
import type { HookConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { AliasLoopError, describeConfigured, type Deployment, type ModelTable, type Resolution } from './config.js';
import type { ForwardPolicy } from './credentials.js';
import { importExport } from './modules.js';
import type { ApiFormat } from './providers.js';
import { firstMatch, type NamedRule, type RequestBody, type RuleContext } from './rules.js';

export interface HookContext {
  endpoint: RuleContext['endpoint'];
  /** The API format the client spoke (the deployment speaks it too, unless an Anthropic Messages request is translated). */
  format: ApiFormat;
  /** The parsed request body; hooks may change it. `model` is rewritten for the deployment after the hooks. */
  body: RequestBody;
  /** The model the client asked for. */
  requestedModel: string;
  /** The client's request headers, as received. */
  incoming: IncomingHttpHeaders;
  /** The headers that go to the provider (lower-case names); hooks may set or delete them. */
  headers: Record<string, string | string[]>;
  /** Set by rule_evaluator: the first matching rule's name, or `default`. */
  label: string | null;
  /** Set by model_router (or, without it, from the requested model). */
  deployment: Deployment | null;
  /** Which client credentials go through (forward_oauth, forward_apikey). */
  forward: ForwardPolicy;
  sessionId: string | null;
  /** Free space for custom hooks. */
  metadata: Record<string, unknown>;
  log: Logger;
}

export type Hook = (ctx: HookContext, params: Record<string, unknown>) => void | Promise<void>;

export interface NamedHook {
  name: string;
  run: (ctx: HookContext) => void | Promise<void>;
}

/** A request the gateway cannot route: answered with `status` and the message, never sent anywhere. */
export class RouteError extends Error {
  constructor(
    message: string,
    readonly status = 404,
    readonly type = 'not_found_error',
  ) {
    super(message);
  }
}

export interface RoutingState {
  rules: readonly NamedRule[];
  models: ModelTable;
  /** No rule matched: route by the requested model (true) or to `default`. */
  passthrough: boolean;
}

const DEFAULT_LABEL = 'default';
const BUILTIN_PREFIX = 'ccproxy.hooks.';
/** The hooks that run when ccproxy.yaml lists none. */
export const DEFAULT_HOOKS = ['extract_session_id', 'rule_evaluator', 'model_router', 'forward_oauth', 'forward_apikey'].map((h) => BUILTIN_PREFIX + h);

/** The deployment for a request: its label's, or with passthrough (no rule matched) the requested model's. */
export function route(state: RoutingState, label: string | null, requested: string): Deployment {
  return explainRoute(state, label, requested).deployment;
}

/** What route() decides, with the name it looked up and the steps from it to the deployment (`ccproxy route` shows them). */
export interface RouteExplanation extends Resolution {
  /** The name resolved: the label, or the requested model when routing by it. */
  lookedUp: string;
  /** True when the request went by its label (a rule matched, or passthrough is off). */
  byLabel: boolean;
}

export function explainRoute(state: RoutingState, label: string | null, requested: string): RouteExplanation {
  const byLabel = label !== null && !(label === DEFAULT_LABEL && state.passthrough);
  const name = byLabel ? label : requested;
  let r: Resolution | undefined;
  try {
    r = state.models.explain(name);
  } catch (err) {
    // A loop only a request's name reveals (aliases through patterns); exact names are checked at load.
    if (err instanceof AliasLoopError) throw new RouteError(`model "${requested}" has no route: ${err.message.replace(/^invalid configuration:\n\s*/, '')}`, 500, 'api_error');
    throw err;
  }
  if (r) return { ...r, lookedUp: name, byLabel };
  const configured = describeConfigured(state.models);
  if (byLabel && label === DEFAULT_LABEL) throw new RouteError(`model "${requested}" has no route: no rule matched and ${state.models.file} has no "default" entry; ${configured}`);
  if (byLabel) throw new RouteError(`model "${requested}" has no route: it was labelled "${label}", which ${state.models.file} does not name; ${configured}`);
  throw new RouteError(`model "${requested}" has no route: ${state.models.file} has no model_name "${requested}" and no pattern matches it; ${configured}`);
}

function builtin(name: string, state: RoutingState): Hook | null {
  switch (name) {
    case 'rule_evaluator':
      return async (ctx) => {
        ctx.label = (await firstMatch(state.rules, ctx.body, { endpoint: ctx.endpoint, headers: ctx.incoming })) ?? DEFAULT_LABEL;
      };
    case 'model_router':
      return (ctx) => {
        ctx.deployment = route(state, ctx.label, ctx.requestedModel);
      };
    case 'forward_oauth':
      return (ctx) => {
        ctx.forward.oauth = true;
      };
    case 'forward_apikey':
      return (ctx) => {
        ctx.forward.apiKey = true;
      };
    case 'extract_session_id':
      // The session id reaches the provider as a header, so the forward capture links its row to the client's.
      return (ctx) => {
        ctx.sessionId = sessionFromHeaders(ctx.incoming) ?? sessionFromBody(ctx.body);
        if (ctx.sessionId && !ctx.headers['x-claude-code-session-id']) ctx.headers['x-claude-code-session-id'] = ctx.sessionId;
      };
    default:
      return null;
  }
}

/** Builds the configured hooks (or the defaults); throws an Error naming the problem with hook `index`. */
export async function createHooks(list: readonly HookConfig[] | undefined, state: RoutingState, configDir: string): Promise<NamedHook[]> {
  const out: NamedHook[] = [];
  for (const [index, entry] of (list ?? DEFAULT_HOOKS).entries()) {
    const spec = typeof entry === 'string' ? entry : entry.hook;
    const params = typeof entry === 'string' ? {} : (entry.params ?? {});
    try {
      if (spec.startsWith(BUILTIN_PREFIX)) {
        const short = spec.slice(BUILTIN_PREFIX.length);
        const hook = builtin(short, state);
        if (!hook) throw new Error(`unknown built-in hook ${spec}; the built-ins are ${DEFAULT_HOOKS.join(', ')}`);
        out.push({ name: spec, run: (ctx) => hook(ctx, params) });
        continue;
      }
      const exported = await importExport(spec, configDir);
      if (typeof exported !== 'function') throw new Error(`${spec} is not a hook: expected a function (ctx, params)`);
      const fn = exported as Hook;
      out.push({ name: spec, run: (ctx) => fn(ctx, params) });
    } catch (err) {
      throw Object.assign(err as Error, { hookIndex: index });
    }
  }
  return out;
}
