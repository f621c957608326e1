// Where a request would go, without sending it: the gateway's own hooks and rules run on the request body (the
// configured rule_evaluator, model_router and custom hooks, as on a real request), and the answer says which rule
// matched, the label, the alias / pattern steps, the deployment and its full URL. `ccproxy route` prints it.
import { locate, type LoadedConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import type { Deployment, RouteStep } from './config.js';
import { explainRoute, type HookContext } from './hooks.js';
import { explainTranslation, type TranslationExplained } from './explain-translation.js';
import { endpointUrl, geminiUrl, type ApiFormat } from './providers.js';
import { translatedUrl, translationTarget, type ClientApi } from './translation.js';
import type { RequestBody, RuleContext } from './rules.js';
import type { PreparedGateway } from './start.js';

/** The gateway endpoint a client of each format calls: the request is explained as one sent there. */
const ENDPOINT_OF: Record<ApiFormat, { endpoint: RuleContext['endpoint']; path: string; what: string }> = {
  anthropic: { endpoint: 'messages', path: '/v1/messages', what: 'Anthropic Messages' },
  openai: { endpoint: 'chat', path: '/v1/chat/completions', what: 'OpenAI chat completions' },
  gemini: { endpoint: 'gemini', path: '/v1beta/models/{model}:generateContent', what: "Gemini's generateContent" },
};
const FORMAT_NAME: Record<ApiFormat, string> = { anthropic: 'an Anthropic', openai: 'an OpenAI', gemini: 'a Gemini' };

/** The OpenAI endpoint a model's clients call: embedding models take /v1/embeddings, Codex models the Responses API. */
function openaiEndpoint(model: string): { endpoint: RuleContext['endpoint']; path: string; what: string } {
  if (/embedding/i.test(model)) return { endpoint: 'embeddings', path: '/v1/embeddings', what: 'OpenAI embeddings' };
  if (/(^|[-/])codex/i.test(model)) return { endpoint: 'responses', path: '/v1/responses', what: 'OpenAI Responses' };
  return ENDPOINT_OF.openai;
}
const endpointFor = (format: ApiFormat, model: string) => (format === 'openai' ? openaiEndpoint(model) : ENDPOINT_OF[format]);
/** `--from`: the endpoint of a client API, fixed whatever the deployment's format. */
const CLIENT_ENDPOINT: Record<ClientApi, { format: ApiFormat; endpoint: RuleContext['endpoint']; path: string; what: string }> = {
  anthropic: { format: 'anthropic', ...ENDPOINT_OF.anthropic },
  chat: { format: 'openai', ...ENDPOINT_OF.openai },
  responses: { format: 'openai', endpoint: 'responses', path: '/v1/responses', what: 'OpenAI Responses' },
};
/** Tried first: the endpoint of ccproxy's main client, Claude Code. */
const FIRST_FORMAT: ApiFormat = 'anthropic';

export interface MatchedRule {
  /** The label it gives. */
  name: string;
  /** Its index in ccproxy.rules, its `rule:` and `ccproxy.yaml:line`. */
  index: number;
  rule: string;
  where: string;
}

export interface Explanation {
  model: string;
  /** The gateway path the request was taken as sent to, and its format. */
  endpoint: { path: string; format: ApiFormat; what: string };
  /** The first matching rule, or null. */
  rule: MatchedRule | null;
  /** The label after the hooks ran (`default` when no rule matched), or null without rule_evaluator. */
  label: string | null;
  /** Whether the label (true) or the requested model (false: no rule matched and default_model_passthrough) chose. */
  byLabel: boolean;
  /** The name resolved in config.yaml. */
  lookedUp: string;
  /** From that name to the deployment; null when a custom hook chose the deployment itself. */
  chain: RouteStep[] | null;
  deployment: Deployment;
  /** The full URL the gateway would call, or null when it cannot call the deployment. */
  url: string | null;
  /** Why the gateway would refuse the request instead of sending it (unusable deployment, wrong format), or null. */
  refusal: string | null;
  /** A deployment of another format: how the request and its answer are translated; null when none is. */
  translation: TranslationExplained | null;
}

/** Runs the configured hooks on `body` (model set to `model`) as the gateway would; throws RouteError when nothing routes it. */
export async function explainRequest(prepared: PreparedGateway, loaded: LoadedConfig, model: string, body: RequestBody, log: Logger, from?: ClientApi): Promise<Explanation> {
  // A client API named: its endpoint, and a deployment of another format is translated to.
  if (from) return run(prepared, loaded, model, body, CLIENT_ENDPOINT[from].format, log, CLIENT_ENDPOINT[from]);
  let format = FIRST_FORMAT;
  let result = await run(prepared, loaded, model, body, format, log);
  // A deployment of the other format: its clients call the other endpoint, so the rules see that one.
  if (result.deployment.format && result.deployment.format !== format) {
    format = result.deployment.format;
    result = await run(prepared, loaded, model, body, format, log);
  }
  return result;
}

async function run(prepared: PreparedGateway, loaded: LoadedConfig, model: string, original: RequestBody, format: ApiFormat, log: Logger, fixed?: (typeof CLIENT_ENDPOINT)[ClientApi]): Promise<Explanation> {
  const ep = fixed ?? endpointFor(format, model);
  const body: RequestBody = { ...structuredClone(original), model };
  const ctx: HookContext = {
    endpoint: ep.endpoint,
    format,
    body,
    requestedModel: model,
    incoming: {},
    headers: {},
    label: null,
    deployment: null,
    forward: { oauth: false, apiKey: false },
    sessionId: null,
    metadata: {},
    log,
  };
  // The rule_evaluator hook reads state.rules when it runs: wrapped here for the run, so the rule that matched is known.
  const state = prepared.state as { rules: PreparedGateway['state']['rules'] };
  const configured = state.rules;
  let matched: number | null = null;
  state.rules = configured.map((r, index) => ({
    name: r.name,
    rule: {
      evaluate: async (request, c) => {
        const yes = await r.rule.evaluate(request, c);
        if (yes && matched === null) matched = index;
        return yes;
      },
    },
  }));
  try {
    for (const h of prepared.hooks) await h.run(ctx);
  } finally {
    state.rules = configured;
  }
  const why = explainRoute(prepared.state, ctx.label, model);
  const chosenByHook = ctx.deployment !== null && !(ctx.deployment.where === why.deployment.where && ctx.deployment.model === why.deployment.model);
  const d = chosenByHook ? ctx.deployment! : why.deployment;
  const rules = loaded.config.ccproxy.rules;
  const rule: MatchedRule | null = matched === null ? null : { name: rules[matched]!.name, index: matched, rule: rules[matched]!.rule, where: locate(loaded.file, loaded.text ?? '', ['ccproxy', 'rules', matched]) };

  let url: string | null = null;
  let refusal: string | null = null;
  let translation: TranslationExplained | null = null;
  // The gateway's own checks, in its words (server.ts): a deployment it cannot call, or one of the other format.
  if (d.unusable || !d.apiBase || !d.format) refusal = `501: model "${model}" routes to "${d.name}" (${d.where}), which ccproxy cannot call: ${d.unusable}`;
  else if (fixed && (d.format !== format || translationTarget(fixed, d))) {
    const to = translationTarget(fixed, d);
    if (to) {
      const client = (Object.keys(CLIENT_ENDPOINT) as ClientApi[]).find((c) => CLIENT_ENDPOINT[c] === fixed)!;
      translation = explainTranslation(client, to, d, body);
      const { origin, path } = translatedUrl(d, to, fixed, body.stream === true);
      url = origin + path;
      if (translation.refused) refusal = `400: ${translation.refused}`;
    } else refusal = `400: "${d.name}" (${d.where}) is ${FORMAT_NAME[d.format]}-format deployment, but ${ep.path} is ${ep.what}; ccproxy does not translate it`;
  } else {
    const target = fixed?.endpoint ?? endpointFor(d.format, model).endpoint;
    const { origin, path } = d.format === 'gemini' ? geminiUrl(d.apiBase, 'v1beta', d.model, 'generateContent') : endpointUrl(d.apiBase, d.format, target as Exclude<typeof target, 'gemini'>);
    url = origin + path;
    if (d.format !== format) refusal = `400: "${d.name}" (${d.where}) is ${FORMAT_NAME[d.format]}-format deployment, but ${ep.path} is ${ep.what}; ccproxy does not translate between formats`;
  }
  return {
    model,
    endpoint: { path: ep.path, format, what: ep.what },
    rule,
    label: ctx.label,
    byLabel: why.byLabel,
    lookedUp: why.lookedUp,
    chain: chosenByHook ? null : why.chain,
    deployment: d,
    url,
    refusal,
    translation,
  };
}
