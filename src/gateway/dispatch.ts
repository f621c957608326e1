// One routed request, whatever carried it (an HTTP endpoint, or a message of the Responses WebSocket): the hooks
// label it, the label resolves to a deployment, the deployment must speak the client's format or be one the
// request can be translated to (translation.ts), the credentials and the deployment's headers are set, `model` is
// rewritten, and the upstream URL is built.
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from '../log.js';
import type { Deployment } from './config.js';
import { applyCredentials, CredentialError, type CredentialChoice, type OatSources } from './credentials.js';
import type { RoutedEndpoint } from './endpoints.js';
import { route, RouteError, type HookContext, type NamedHook, type RoutingState } from './hooks.js';
import { lowerKeys, Refusal } from './http-io.js';
import { MASTER_KEY_HEADER } from '../proxy/access.js';
import { endpointUrl, FORMAT_NAMES, geminiUrl, type ApiFormat } from './providers.js';
import type { Router } from './router/router.js';
import type { Send } from './router/exchange.js';
import { translatedUrl, translationTarget } from './translation.js';
import type { Upstream } from './upstream.js';

const ANTHROPIC_VERSION = '2023-06-01';

export interface GatewayParts {
  state: RoutingState;
  hooks: readonly NamedHook[];
  oat: OatSources;
  upstream: Upstream;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** general_settings.master_key: never sent on to a provider. */
  masterKey?: string | null;
  /** LiteLLM's router: groups, retries, fallbacks, cooldowns (router/). */
  router: Router;
}

export interface Routed {
  d: Deployment;
  ctx: HookContext;
  /** The headers for the provider (lower-case names), credentials included. */
  headers: Record<string, string | string[]>;
  choice: CredentialChoice;
  origin: string;
  /** The upstream path, without a query (with `?alt=sse` for a translated Gemini stream). */
  path: string;
  /** Set when the request is translated to the deployment's format on its way (translation.ts, translated.ts). */
  translate: ApiFormat | null;
  /** How the request reaches the provider: the router's attempt, else the upstream dispatcher as it is. */
  send?: Send;
}

/** A request its hooks have run on: the deployment they chose (or the label's), not yet prepared for it. */
export interface Labelled {
  d: Deployment;
  ctx: HookContext;
}

/** The client headers that mean something to Anthropic only: not sent on a translated route. */
const ANTHROPIC_ONLY = ['anthropic-version', 'anthropic-beta', 'anthropic-dangerous-direct-browser-access'];

/**
 * Routes `body` (changed in place: `model` becomes the deployment's) for endpoint `ep`. `headers` are the
 * client's end-to-end headers as they should reach the provider before credentials; `requestedModel` is the
 * body's `model` or, for Gemini, the model of the path.
 */
export async function routeRequest(p: GatewayParts, ep: RoutedEndpoint, body: Record<string, unknown>, requestedModel: string, incoming: IncomingHttpHeaders, headers: Record<string, string | string[]>): Promise<Routed | Refusal> {
  const l = await labelRequest(p, ep, body, requestedModel, incoming, headers);
  if (l instanceof Refusal) return l;
  return prepareFor(p, ep, l.ctx, l.d, body, headers);
}

/** Runs the hooks: the request's label and deployment (changing `body` and `headers` as hooks do). */
export async function labelRequest(p: GatewayParts, ep: RoutedEndpoint, body: Record<string, unknown>, requestedModel: string, incoming: IncomingHttpHeaders, headers: Record<string, string | string[]>): Promise<Labelled | Refusal> {
  stripMasterKey(p, headers);
  const ctx: HookContext = {
    endpoint: ep.endpoint,
    format: ep.format,
    body,
    requestedModel,
    incoming,
    headers,
    label: null,
    deployment: null,
    forward: { oauth: false, apiKey: false },
    sessionId: null,
    metadata: {},
    log: p.log,
  };
  let d: Deployment;
  try {
    for (const h of p.hooks) await h.run(ctx);
    d = ctx.deployment ?? route(p.state, ctx.label, requestedModel);
  } catch (err) {
    if (err instanceof RouteError) return new Refusal(err.status, err.type, err.message);
    throw err;
  }
  return { d, ctx };
}

/**
 * Prepares the request for deployment `d`: the format check (or translation), credentials, the deployment's
 * headers, `model` rewritten in `body`, the upstream URL. `body` and `headers` are this attempt's own copies.
 */
export async function prepareFor(p: GatewayParts, ep: RoutedEndpoint, ctx: HookContext, d: Deployment, body: Record<string, unknown>, headers: Record<string, string | string[]>): Promise<Routed | Refusal> {
  const requestedModel = ctx.requestedModel;
  if (d.unusable || !d.apiBase || !d.format) return new Refusal(501, 'api_error', `model "${requestedModel}" routes to "${d.name}" (${d.where}), which ccproxy cannot call: ${d.unusable}`);
  const translate = translationTarget(ep, d);
  if (d.format !== ep.format && !translate) {
    return new Refusal(400, 'invalid_request_error', `model "${requestedModel}" routes to "${d.name}" (${d.where}), ${d.format === 'gemini' ? 'a' : 'an'} ${FORMAT_NAMES[d.format]}-format deployment, but the request is ${ep.title}; ccproxy does not translate ${ep.title} requests to other formats (it translates Anthropic Messages, OpenAI chat and OpenAI Responses)`);
  }
  // A client's key or OAuth token belongs to its own provider: never handed to another. A translated route uses
  // the deployment's api_key (or its oat_sources), or goes without.
  if (translate && d.format !== ep.format) for (const h of ['authorization', 'x-api-key']) delete headers[h];
  let choice: CredentialChoice;
  try {
    choice = await applyCredentials(headers, d, ctx.forward, p.oat, p.env);
  } catch (err) {
    if (err instanceof CredentialError) return new Refusal(502, 'proxy_error', err.message, { error_type: 'credential_failed', deployment: d.name });
    throw err;
  }
  if (translate) {
    if (translate !== 'anthropic') for (const h of ANTHROPIC_ONLY) delete headers[h];
    // The answer is read and rewritten: it must come uncompressed.
    headers['accept-encoding'] = 'identity';
  }
  Object.assign(headers, lowerKeys(d.extraHeaders));
  if (d.format === 'anthropic' && !headers['anthropic-version']) headers['anthropic-version'] = ANTHROPIC_VERSION;
  // Gemini names the model in the URL; its bodies carry none.
  if (ep.format !== 'gemini') body.model = d.model;
  const { origin, path } = translate
    ? translatedUrl(d, translate, ep, body.stream === true)
    : ep.gemini
      ? geminiUrl(d.apiBase, ep.gemini.version, encodeURIComponent(d.model), ep.gemini.method)
      : endpointUrl(d.apiBase, d.format, ep.upstream ?? 'chat');
  if (p.log.debugEnabled) {
    const label = ctx.label === null ? '-' : ctx.label === 'default' && p.state.passthrough ? 'default (no rule matched: routed by the requested model)' : ctx.label;
    p.log.debug(`${ep.title} model=${requestedModel} label=${label} → ${d.name} (${d.provider ?? '?'}/${d.model}) ${origin}${path} auth=${choice.kind}${translate ? ` translated to ${FORMAT_NAMES[translate]}` : ''}`);
  }
  return { d, ctx, headers, choice, origin, path, translate };
}

/** The master key is ccproxy's, not the provider's: its header goes, and an Authorization that carried it too. */
export function stripMasterKey(p: GatewayParts, headers: Record<string, string | string[]>): void {
  delete headers[MASTER_KEY_HEADER];
  if (p.masterKey && headers.authorization === `Bearer ${p.masterKey}`) delete headers.authorization;
}
