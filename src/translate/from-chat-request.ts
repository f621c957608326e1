// An OpenAI chat-completions request as an Anthropic Messages request: system and developer messages as `system`
// (their cache_control kept), `tool` messages as tool_result blocks in the user turn after the assistant's
// tool_calls, assistant tool_calls as tool_use, images as image blocks, function tools, tool_choice,
// reasoning_effort as a thinking budget, and the parameters Anthropic does not know left out with a warning.
import { wholeArguments, type AnthropicRequest, type Block, type Message, type Tool } from './anthropic.js';
import { defaultMaxTokens, thinkingFor } from './effort.js';

export class TranslationRefusal extends Error {}

type Part = Record<string, unknown> & { type?: string };
interface ChatMessage {
  role: string;
  content?: string | Part[] | null;
  name?: string;
  tool_calls?: { id?: string; type?: string; function?: { name?: string; arguments?: string } }[];
  tool_call_id?: string;
  refusal?: string | null;
}

/** Parameters of chat completions that have no Anthropic counterpart: left out, each named in a warning. */
const UNSUPPORTED = ['logprobs', 'top_logprobs', 'logit_bias', 'presence_penalty', 'frequency_penalty', 'seed', 'response_format', 'audio', 'modalities', 'prediction', 'web_search_options', 'functions', 'function_call'];

export interface FromChat {
  request: AnthropicRequest;
  warnings: string[];
  /** Whether the client asked for the usage-only final chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
}

export function fromChatRequest(body: Record<string, unknown>): FromChat {
  const warnings: string[] = [];
  const model = String(body.model);
  if (typeof body.n === 'number' && body.n > 1) throw new TranslationRefusal(`n: ${body.n} choices were asked for; the deployment speaks Anthropic Messages, which answers with one`);
  if (!Array.isArray(body.messages)) throw new TranslationRefusal('messages: expected an array of chat messages');
  const system: Block[] = [];
  const messages: Message[] = [];
  const push = (role: Message['role'], blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (last && last.role === role) (last.content as Block[]).push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const m of body.messages as ChatMessage[]) {
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...textParts(m.content));
        break;
      case 'user':
        push('user', userBlocks(m.content, warnings));
        break;
      case 'assistant': {
        const blocks: Block[] = textParts(m.content);
        if (m.refusal) blocks.push({ type: 'text', text: m.refusal });
        for (const c of m.tool_calls ?? []) {
          blocks.push({ type: 'tool_use', id: c.id ?? '', name: c.function?.name ?? '', input: JSON.parse(wholeArguments(c.function?.arguments ?? '')) as unknown });
        }
        push('assistant', blocks);
        break;
      }
      case 'tool': {
        const result: Block = { type: 'tool_result', tool_use_id: m.tool_call_id ?? '', content: typeof m.content === 'string' ? m.content : userBlocks(m.content, warnings) };
        // Tool results open the user turn that follows the calls, before any text of that turn.
        const last = messages.at(-1);
        if (last?.role === 'user') {
          const blocks = last.content as Block[];
          const firstOther = blocks.findIndex((b) => b.type !== 'tool_result');
          if (firstOther < 0) blocks.push(result);
          else blocks.splice(firstOther, 0, result);
        } else push('user', [result]);
        break;
      }
      default:
        warnings.push(`a message with role "${m.role}" has no Anthropic equivalent: left out`);
    }
  }

  const request: AnthropicRequest = { model, messages, max_tokens: numberOr(body.max_completion_tokens, body.max_tokens) ?? defaultMaxTokens(model) };
  if (system.length > 0) request.system = system.some((b) => b.cache_control) ? system : system.map((b) => String(b.text)).join('\n\n');
  if (body.stream === true) request.stream = true;
  if (typeof body.temperature === 'number') {
    // OpenAI's range is 0–2, Anthropic's 0–1.
    if (body.temperature > 1) warnings.push(`temperature ${body.temperature} is above Anthropic's maximum: sent as 1`);
    request.temperature = Math.min(1, body.temperature);
  }
  if (typeof body.top_p === 'number') request.top_p = body.top_p;
  const stop = typeof body.stop === 'string' ? [body.stop] : Array.isArray(body.stop) ? (body.stop as unknown[]).map(String) : [];
  // Anthropic refuses stop sequences that are only whitespace.
  const stops = stop.filter((s) => s.trim() !== '');
  if (stops.length < stop.length) warnings.push('stop sequences made of whitespace only are refused by Anthropic: left out');
  if (stops.length > 0) request.stop_sequences = stops;

  const tools: Tool[] = [];
  for (const t of (body.tools as { type?: string; function?: { name?: string; description?: string; parameters?: unknown } }[] | undefined) ?? []) {
    if (t.type !== 'function' || !t.function?.name) {
      warnings.push(`tool of type "${t.type}" has no Anthropic equivalent: left out`);
      continue;
    }
    tools.push({ name: t.function.name, ...(t.function.description ? { description: t.function.description } : {}), input_schema: (t.function.parameters as Record<string, unknown> | undefined) ?? { type: 'object', properties: {} } });
  }
  if (tools.length > 0) {
    request.tools = tools;
    const choice = anthropicChoice(body.tool_choice);
    const serial = body.parallel_tool_calls === false;
    if (choice || serial) request.tool_choice = { ...(choice ?? { type: 'auto' }), ...(serial ? { disable_parallel_tool_use: true } : {}) };
  }
  const thinking = thinkingFor(body.reasoning_effort, request.max_tokens!);
  if (thinking) {
    request.thinking = thinking;
    dropSamplingForThinking(request, warnings);
  }
  if (typeof body.user === 'string') request.metadata = { user_id: body.user };
  for (const k of UNSUPPORTED) if (body[k] !== undefined && body[k] !== null) warnings.push(`${k} has no Anthropic equivalent: left out`);
  return { request, warnings, includeUsage: (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true };
}

/** Anthropic refuses temperature ≠ 1 and top_p < 0.95 with thinking on. */
export function dropSamplingForThinking(request: AnthropicRequest, warnings: string[]): void {
  if (request.temperature !== undefined && request.temperature !== 1) {
    warnings.push('temperature is fixed while Anthropic models think: left out');
    delete request.temperature;
  }
  if (request.top_p !== undefined && request.top_p < 0.95) {
    warnings.push('top_p below 0.95 is refused while Anthropic models think: left out');
    delete request.top_p;
  }
}

function anthropicChoice(choice: unknown): AnthropicRequest['tool_choice'] | undefined {
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  const named = (choice as { function?: { name?: string } } | undefined)?.function?.name;
  if (named) return { type: 'tool', name: named };
  return undefined;
}

const numberOr = (...values: unknown[]) => values.find((v): v is number => typeof v === 'number');

/** Text content as text blocks (a part's cache_control kept). */
function textParts(content: ChatMessage['content']): Block[] {
  if (content === null || content === undefined || content === '') return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content
    .filter((p) => (p.type === 'text' || p.type === 'output_text' || p.type === 'input_text') && p.text !== '')
    .map((p) => ({ type: 'text', text: String(p.text), ...(p.cache_control ? { cache_control: p.cache_control } : {}) }));
}

function userBlocks(content: ChatMessage['content'], warnings: string[]): Block[] {
  if (typeof content !== 'object' || content === null) return textParts(content);
  const out: Block[] = [];
  for (const p of content) {
    if (p.type === 'text') {
      if (p.text !== '') out.push({ type: 'text', text: String(p.text), ...(p.cache_control ? { cache_control: p.cache_control } : {}) });
    } else if (p.type === 'image_url') {
      const url = typeof p.image_url === 'string' ? p.image_url : String((p.image_url as { url?: string } | undefined)?.url ?? '');
      out.push({ type: 'image', source: mediaSource(url) });
    } else if (p.type === 'file') {
      const f = p.file as { file_data?: string; filename?: string } | undefined;
      if (f?.file_data) out.push({ type: 'document', source: mediaSource(f.file_data), ...(f.filename ? { title: f.filename } : {}) });
      else warnings.push('a file part without file_data (an uploaded file id) cannot be sent to Anthropic: left out');
    } else warnings.push(`a content part of type "${p.type}" has no Anthropic equivalent: left out`);
  }
  return out;
}

/** A `data:` URL as a base64 source, any other URL as a url source. */
export function mediaSource(url: string): Record<string, unknown> {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return m ? { type: 'base64', media_type: m[1], data: m[2] } : { type: 'url', url };
}
