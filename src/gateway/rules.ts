// Routing rules: each looks at a parsed request and says whether it matches; the first match labels the
// request. The four built-ins keep the original's names and parameters (ccproxy.rules.MatchModelRule, …);
// custom rules are JS modules (see modules.ts and the README for the interface).
import type { IncomingHttpHeaders } from 'node:http';
import type { RuleConfig } from '../config/schema.js';
import { importExport } from './modules.js';

export type RequestBody = Record<string, unknown>;

export interface RuleContext {
  /**
   * `messages` (Anthropic), `count_tokens` (Anthropic's), `chat` (OpenAI chat completions), `responses` (OpenAI
   * Responses, over HTTP or WebSocket), `embeddings` (OpenAI), or `gemini` (a Gemini `{model}:{method}` call).
   */
  endpoint: 'messages' | 'count_tokens' | 'chat' | 'responses' | 'embeddings' | 'gemini';
  /** The client's request headers. */
  headers: IncomingHttpHeaders;
}

export interface Rule {
  evaluate(request: RequestBody, ctx: RuleContext): boolean | Promise<boolean>;
}

export interface NamedRule {
  /** The label: a model_name in config.yaml. */
  name: string;
  rule: Rule;
}

/** A rule's parameters as one object: the original's `- key: value` list, a mapping, or positional values (named in order by `positional`). */
export function normalizeParams(params: RuleConfig['params'], positional: readonly string[] = []): Record<string, unknown> {
  if (params === undefined) return {};
  if (!Array.isArray(params)) return { ...params };
  const out: Record<string, unknown> = {};
  let next = 0;
  for (const p of params) {
    if (p !== null && typeof p === 'object' && !Array.isArray(p)) Object.assign(out, p);
    else {
      const key = positional[next++];
      if (key === undefined) throw new Error(`unexpected positional parameter ${JSON.stringify(p)}; write it as "name: value"`);
      out[key] = p;
    }
  }
  return out;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Matches when the requested model contains `model_name` (a substring, as the original). */
export class MatchModelRule implements Rule {
  constructor(readonly modelName: string) {}
  evaluate(request: RequestBody): boolean {
    return str(request.model).includes(this.modelName);
  }
}

const given = (v: unknown) => v !== undefined && v !== null;

/**
 * Matches a request that asks for extended thinking: an Anthropic `thinking` field that is not
 * `{type: "disabled"}`, an OpenAI `reasoning_effort` (chat) or `reasoning.effort` (Responses), or a Gemini
 * `generationConfig.thinkingConfig` with a thinking budget other than 0 or a thinking level. An effort of
 * `none` asks for no thinking. (The original matched any `thinking` field.)
 */
export class ThinkingRule implements Rule {
  evaluate(request: RequestBody): boolean {
    const t = request.thinking as { type?: unknown } | undefined | null;
    if (t !== undefined && t !== null && !(typeof t === 'object' && t.type === 'disabled')) return true;
    const effort = request.reasoning_effort ?? (request.reasoning as { effort?: unknown } | undefined | null)?.effort;
    if (given(effort) && effort !== 'none') return true;
    const thinking = (request.generationConfig as { thinkingConfig?: { thinkingBudget?: unknown; thinkingLevel?: unknown } } | undefined | null)?.thinkingConfig;
    if (!thinking || typeof thinking !== 'object') return false;
    return (given(thinking.thinkingBudget) && thinking.thinkingBudget !== 0) || given(thinking.thinkingLevel);
  }
}

/**
 * Matches when any tool's name contains `tool_name`, ignoring case: Anthropic's and Responses' `name`, OpenAI
 * chat's `function.name`, or Gemini's `functionDeclarations[].name`.
 */
export class MatchToolRule implements Rule {
  private readonly needle: string;
  constructor(toolName: string) {
    this.needle = toolName.toLowerCase();
  }
  evaluate(request: RequestBody): boolean {
    const tools = request.tools;
    if (!Array.isArray(tools)) return false;
    const has = (name: unknown) => str(name).toLowerCase().includes(this.needle);
    return tools.some((t) => {
      if (typeof t === 'string') return has(t);
      const tool = t as { name?: unknown; function?: { name?: unknown }; functionDeclarations?: unknown } | null;
      if (has(tool?.name) || has(tool?.function?.name)) return true;
      return Array.isArray(tool?.functionDeclarations) && tool.functionDeclarations.some((f) => has((f as { name?: unknown } | null)?.name));
    });
  }
}

type Counter = (text: string, limit: number) => number | false;

/**
 * Matches when the request's text is more than `threshold` tokens, counted with the cl100k_base encoding
 * (gpt-tokenizer) as the original counted with tiktoken; Anthropic does not publish Claude's tokenizer. The text
 * is the system prompt and every message's text (text blocks, tool results, thinking) — for Responses bodies
 * `instructions` and `input` (a string or items), for Gemini bodies `systemInstruction` and `contents[].parts[].text`,
 * for embeddings `input`; explicit
 * `token_count` / `num_tokens` / `input_tokens` fields count too, as in the original.
 */
export class TokenCountRule implements Rule {
  constructor(
    readonly threshold: number,
    private readonly withinLimit: Counter,
  ) {}

  static async create(threshold: number): Promise<TokenCountRule> {
    const { isWithinTokenLimit } = await import('gpt-tokenizer/encoding/cl100k_base');
    return new TokenCountRule(threshold, isWithinTokenLimit as Counter);
  }

  evaluate(request: RequestBody): boolean {
    for (const k of ['token_count', 'num_tokens', 'input_tokens']) {
      const v = request[k];
      if (typeof v === 'number' && v > this.threshold) return true;
    }
    const parts: string[] = [];
    collectText(request.system, parts);
    if (Array.isArray(request.messages)) for (const m of request.messages) collectText((m as { content?: unknown } | null)?.content ?? m, parts);
    collectText(request.instructions, parts);
    collectText(request.input, parts);
    collectText((request.systemInstruction as { parts?: unknown } | undefined | null)?.parts ?? request.systemInstruction, parts);
    if (Array.isArray(request.contents)) for (const c of request.contents) collectText((c as { parts?: unknown } | null)?.parts ?? c, parts);
    const text = parts.join('\n');
    // Every token is at least one byte: text of at most `threshold` bytes cannot be over the threshold.
    if (Buffer.byteLength(text) <= this.threshold) return false;
    return this.withinLimit(text, this.threshold) === false;
  }
}

function collectText(content: unknown, out: string[]): void {
  if (typeof content === 'string') out.push(content);
  else if (Array.isArray(content)) for (const c of content) collectText(c, out);
  else if (content && typeof content === 'object') {
    const block = content as { type?: unknown; text?: unknown; thinking?: unknown; content?: unknown; output?: unknown };
    if (typeof block.text === 'string') out.push(block.text);
    if (typeof block.thinking === 'string') out.push(block.thinking);
    if (block.type === 'tool_result') collectText(block.content, out);
    // Responses input items: a message's content (a string or parts), a function call's output.
    if (block.type === 'message' || (block.type === undefined && 'role' in block)) collectText(block.content, out);
    if (block.type === 'function_call_output') collectText(block.output, out);
  }
}

const BUILTIN_PREFIX = 'ccproxy.rules.';

/** Builds one configured rule; throws an Error naming the problem (the caller adds file and line). */
export async function createRule(cfg: RuleConfig, configDir: string): Promise<Rule> {
  if (cfg.rule.startsWith(BUILTIN_PREFIX)) {
    const kind = cfg.rule.slice(BUILTIN_PREFIX.length);
    const need = (p: Record<string, unknown>, key: string, check: (v: unknown) => boolean, what: string) => {
      if (!check(p[key])) throw new Error(`${kind} needs params: [{${key}: ${what}}]${p[key] === undefined ? '' : `, got ${JSON.stringify(p[key])}`}`);
      return p[key];
    };
    switch (kind) {
      case 'MatchModelRule': {
        const p = normalizeParams(cfg.params, ['model_name']);
        return new MatchModelRule(need(p, 'model_name', (v) => typeof v === 'string' && v !== '', 'a model name') as string);
      }
      case 'ThinkingRule':
        return new ThinkingRule();
      case 'MatchToolRule': {
        const p = normalizeParams(cfg.params, ['tool_name']);
        return new MatchToolRule(need(p, 'tool_name', (v) => typeof v === 'string' && v !== '', 'a tool name') as string);
      }
      case 'TokenCountRule': {
        const p = normalizeParams(cfg.params, ['threshold']);
        return TokenCountRule.create(need(p, 'threshold', (v) => Number.isInteger(v) && (v as number) >= 0, 'a whole number of tokens') as number);
      }
      default:
        throw new Error(`unknown built-in rule ${cfg.rule}; the built-ins are ccproxy.rules.MatchModelRule, ThinkingRule, TokenCountRule and MatchToolRule`);
    }
  }
  const exported = await importExport(cfg.rule, configDir);
  const params = normalizeParams(cfg.params);
  // A class with an evaluate method, constructed with the params; or a function (request, ctx, params) => boolean.
  if (typeof exported === 'function' && typeof (exported.prototype as { evaluate?: unknown } | undefined)?.evaluate === 'function') {
    return new (exported as new (p: Record<string, unknown>) => Rule)(params);
  }
  if (typeof exported === 'function') {
    const fn = exported as (r: RequestBody, c: RuleContext, p: Record<string, unknown>) => boolean | Promise<boolean>;
    return { evaluate: (r, c) => fn(r, c, params) };
  }
  if (exported && typeof (exported as Rule).evaluate === 'function') return exported as Rule;
  throw new Error(`${cfg.rule} is not a rule: expected a class with evaluate(request, ctx), or a function (request, ctx, params) returning a boolean`);
}

/** The label of the first matching rule, or null. */
export async function firstMatch(rules: readonly NamedRule[], request: RequestBody, ctx: RuleContext): Promise<string | null> {
  for (const r of rules) if (await r.rule.evaluate(request, ctx)) return r.name;
  return null;
}
