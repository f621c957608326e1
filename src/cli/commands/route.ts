// `ccproxy route <model> [--body FILE] [--json]`: where the gateway would send a request for <model>, worked out
// by the gateway's own hooks and rules from ccproxy.yaml and config.yaml in the config directory, without
// sending anything and without a running ccproxy. Readable text, or --json for scripts; no route is the
// gateway's 404 message and exit 1.
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../config/load.js';
import { UserError } from '../../errors.js';
import type { Deployment, RouteStep } from '../../gateway/config.js';
import { explainRequest, type Explanation } from '../../gateway/explain.js';
import { RouteError } from '../../gateway/hooks.js';
import type { RequestBody } from '../../gateway/rules.js';
import { fallbacksFor } from '../../gateway/router/fallbacks.js';
import { prepareGateway, type PreparedGateway } from '../../gateway/start.js';
import { createLogger, type Logger } from '../../log.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const USAGE = 'ccproxy route <model> [--from anthropic|chat|responses] [--body FILE|-] [--json]';
const CLIENTS = ['anthropic', 'chat', 'responses'] as const;

const command: Command = {
  usage: USAGE,
  details: [
    'Reads ccproxy.yaml and config.yaml from the config directory (CCPROXY_CONFIG_DIR, default ~/.ccproxy) and runs',
    "the gateway's hooks and rules on the request; nothing is sent and ccproxy need not be running.",
    '  --body FILE   the request body the rules see (JSON; - reads stdin); its model is replaced by <model>.',
    '                Without it: a minimal body with just the model.',
    '  --from API    the API the client speaks: anthropic (/v1/messages, Claude Code), chat (/v1/chat/completions)',
    '                or responses (/v1/responses, Codex). A deployment of another format is then translated to:',
    '                the answer says from which format to which, what is mapped and what this body loses.',
    '  --json        one JSON object on stdout, for scripts.',
    'Without --from, the request is taken as sent to /v1/messages; when it routes to an OpenAI-format deployment, to',
    '/v1/embeddings (embedding models), /v1/responses (Codex models) or /v1/chat/completions; to a Gemini one,',
    "to :generateContent. Exit 0 with a route; 1 with the gateway's message when nothing routes it.",
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { body: { type: 'string' }, json: { type: 'boolean' }, from: { type: 'string' } }, USAGE);
    const from = values.from as (typeof CLIENTS)[number] | undefined;
    if (from !== undefined && !CLIENTS.includes(from)) throw new UserError(`--from ${from}: expected one of ${CLIENTS.join(', ')}\nusage: ${USAGE}`, 2);
    if (positionals.length !== 1 || positionals[0] === '') throw new UserError(`expected one model name\nusage: ${USAGE}`, 2);
    const model = positionals[0]!;
    const body = values.body === undefined ? {} : readBody(values.body);
    const warnings: string[] = [];
    const log = collectingLogger(warnings);
    const loaded = loadConfig();
    const prepared = await prepareGateway(loaded, process.env, log);
    let e: Explanation;
    try {
      e = await explainRequest(prepared, loaded, model, body, log, from);
    } catch (err) {
      if (!(err instanceof RouteError)) throw err;
      if (values.json) console.log(JSON.stringify({ model, routed: false, error: { status: err.status, type: err.type, message: err.message }, warnings }, null, 2));
      else process.stderr.write(`${warnings.map((w) => `warning: ${w}\n`).join('')}ccproxy: ${err.status} ${err.message}\n`);
      return 1;
    }
    const r = routerView(prepared, e);
    if (values.json) console.log(JSON.stringify({ ...toJson(e, values.body ?? null, warnings), ...r.json }, null, 2));
    else {
      console.log([render(e, values.body ?? null), ...r.lines].join('\n'));
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    }
    return 0;
  },
};
export default command;

function readBody(from: string): RequestBody {
  const source = from === '-' ? 'stdin' : from;
  let text: string;
  try {
    text = readFileSync(from === '-' ? 0 : from, 'utf8');
  } catch (err) {
    throw new UserError(`--body ${from}: cannot read: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserError(`--body ${source}: not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UserError(`--body ${source}: expected a JSON object (a request body)`);
  return value as RequestBody;
}

/** Warnings (an unset api_key variable, an unusable deployment) are collected and shown after the answer. */
function collectingLogger(into: string[]): Logger {
  const quiet = createLogger('route', { write: () => {} });
  const logger: Logger = { ...quiet, warn: (m) => into.push(m), child: () => logger };
  return logger;
}

function apiKeyOf(d: Deployment): string {
  if (!d.apiKey) return "none: the client's own credentials are forwarded";
  return 'env' in d.apiKey ? `os.environ/${d.apiKey.env}` : 'a literal key in config.yaml';
}

function step(s: RouteStep): string {
  if (s.via === 'name') return `"${s.name}" is model_name "${s.entry}" (${s.where}) → ${s.target}`;
  const parts = s.segments && s.segments.length > 0 ? `, * = ${s.segments.map((x) => JSON.stringify(x)).join(', ')}` : '';
  const prefixed = s.via === 'provider-pattern' ? ' with its provider prefix' : '';
  return `"${s.name}"${prefixed} matches pattern "${s.entry}" (${s.where})${parts} → ${s.target}`;
}

function ruleLine(e: Explanation): string {
  if (e.rule) return `rule "${e.rule.name}" matched (${e.rule.rule}, ${e.rule.where}) → label "${e.label}"`;
  if (e.label === null) return 'no rule_evaluator hook: routed by the requested model';
  const how = e.byLabel ? `routed by the label "${e.label}"` : 'default_model_passthrough: routed by the requested model';
  return `no rule matched → label "${e.label}"; ${how}`;
}

function render(e: Explanation, bodyFrom: string | null): string {
  const d = e.deployment;
  const target = `${d.provider ?? '?'}/${d.model}`;
  const lines = [
    `${e.model} → ${target} at ${e.url ?? '(not callable)'}`,
    '',
    `request     POST ${e.endpoint.path} (${e.endpoint.what}), ${bodyFrom === null ? 'a minimal body with just the model' : `the body of ${bodyFrom === '-' ? 'stdin' : bodyFrom}`}`,
    `rule        ${ruleLine(e)}`,
  ];
  if (e.chain === null) lines.push(`route       a hook set the deployment itself (not what model_router chose for "${e.lookedUp}")`);
  else e.chain.forEach((s, i) => lines.push(`${i === 0 ? 'route' : ''}`.padEnd(12) + step(s)));
  lines.push(
    `deployment  "${d.name}" (${d.where})`,
    `  provider  ${d.provider ?? '(unknown)'}${d.format ? ` (${{ openai: 'OpenAI', anthropic: 'Anthropic', gemini: 'Gemini' }[d.format]} format)` : ''}`,
    `  model     ${d.model} (as the provider gets it)`,
    `  api_base  ${d.apiBase?.href ?? '(none)'}`,
    `  url       ${e.url ?? '(none)'}`,
    `  api_key   ${apiKeyOf(d)}`,
  );
  if (Object.keys(d.extraHeaders).length > 0) lines.push(`  headers   ${Object.keys(d.extraHeaders).join(', ')}`);
  const t = e.translation;
  if (t) {
    lines.push('', `translated  ${t.from} → ${t.to}${t.via ? ` (through ${t.via})` : ''}`);
    for (const m of t.mapped) lines.push(`  mapped    ${m}`);
    for (const x of t.dropped) lines.push(`  dropped   ${x}`);
    if (t.dropped.length === 0 && !t.refused) lines.push('  dropped   nothing of this request');
  }
  if (e.refusal) lines.push('', `the gateway would answer ${e.refusal}`);
  return lines.join('\n');
}

/** The router's part: the deployment's group (when it has siblings) and where failures go. */
function routerView(prepared: PreparedGateway, e: Explanation): { lines: string[]; json: Record<string, unknown> } {
  const group = prepared.state.models.group(e.deployment);
  const s = prepared.router.settings;
  const names = [e.lookedUp, ...(e.chain ?? []).map((c) => c.entry), e.deployment.name];
  const lines: string[] = [];
  const param = (d: Deployment) => [d.weight !== undefined ? `weight ${d.weight}` : '', d.order !== undefined ? `order ${d.order}` : '', d.rpm !== undefined ? `rpm ${d.rpm}` : '', d.tpm !== undefined ? `tpm ${d.tpm}` : ''].filter(Boolean).join(', ');
  if (group.length > 1) {
    lines.push('', `group       ${group.length} deployments named "${e.deployment.name}"; the router picks one per request (simple-shuffle):`);
    for (const d of group) lines.push(`  ${d.provider ?? '?'}/${d.model} (${d.where})${param(d) ? ` ${param(d)}` : ''}`);
  }
  const onFailure = fallbacksFor(s, names, 'rate_limit', { fallbacks: null, disableFallbacks: false });
  const onContext = fallbacksFor(s, names, 'context_window', { fallbacks: null, disableFallbacks: false });
  if (s.numRetries > 0 || onFailure.length > 0 || onContext.length > 0) {
    lines.push('', `failures    ${s.numRetries} ${s.numRetries === 1 ? 'retry' : 'retries'} in the group${onFailure.length > 0 ? `, then ${onFailure.map((f) => `"${f}"`).join(', ')}` : ''}${onContext.length > 0 && onContext.join() !== onFailure.join() ? `; context-window errors: ${onContext.map((f) => `"${f}"`).join(', ')}` : ''}`);
  }
  return {
    lines,
    json: {
      group: group.map((d) => ({ model: `${d.provider ?? '?'}/${d.model}`, where: d.where, weight: d.weight ?? null, order: d.order ?? null, rpm: d.rpm ?? null, tpm: d.tpm ?? null })),
      num_retries: s.numRetries,
      fallbacks: onFailure,
      context_window_fallbacks: onContext,
    },
  };
}

function toJson(e: Explanation, bodyFrom: string | null, warnings: string[]) {
  const d = e.deployment;
  return {
    model: e.model,
    routed: true,
    endpoint: e.endpoint.path,
    format: e.endpoint.format,
    body: bodyFrom === null ? null : bodyFrom === '-' ? 'stdin' : bodyFrom,
    rule: e.rule,
    label: e.label,
    routed_by: e.byLabel ? 'label' : 'model',
    looked_up: e.lookedUp,
    chain: e.chain,
    deployment: {
      name: d.name,
      where: d.where,
      provider: d.provider,
      format: d.format,
      model: d.model,
      api_base: d.apiBase?.href ?? null,
      url: e.url,
      api_key: d.apiKey === null ? null : 'env' in d.apiKey ? `os.environ/${d.apiKey.env}` : 'literal',
      extra_headers: Object.keys(d.extraHeaders),
      unusable: d.unusable,
    },
    refusal: e.refusal,
    translation: e.translation,
    warnings,
  };
}
