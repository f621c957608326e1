// An OpenAI Responses request as an Anthropic Messages request: `instructions` and system/developer messages as
// `system`; `input` items in order — messages, function_call / custom_tool_call as tool_use, their outputs as
// tool_result, reasoning items as thinking (the signature rides in encrypted_content) — grouped into alternating
// turns; function and custom tools, web search as Anthropic's web search tool, tool_choice, max_output_tokens,
// reasoning.effort as a thinking budget. Items and tools with no Anthropic counterpart are left out with a warning.
import { wholeArguments, type AnthropicRequest, type Block, type Message, type Tool } from './anthropic.js';
import { defaultMaxTokens, thinkingFor } from './effort.js';
import { dropSamplingForThinking, mediaSource, TranslationRefusal } from './from-chat-request.js';
import { translatedSignature } from './thinking-origin.js';

type Item = Record<string, unknown> & { type?: string };

export interface FromResponses {
  request: AnthropicRequest;
  warnings: string[];
  /** Custom (free-form) tools, called with `{input: string}`: their calls go back as custom_tool_call items. */
  customTools: Set<string>;
}

/** The schema a free-form custom tool gets: one string, the tool's whole input. */
const CUSTOM_SCHEMA = { type: 'object', properties: { input: { type: 'string', description: 'The whole input of the tool, as free text.' } }, required: ['input'] };

/** Request fields that need no translation (bookkeeping the gateway does not keep) or have no Anthropic counterpart. */
const IGNORED = new Set(['model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'max_output_tokens', 'temperature', 'top_p', 'reasoning', 'stream', 'store', 'include', 'metadata', 'user', 'prompt_cache_key', 'service_tier', 'stream_options', 'text', 'truncation', 'safety_identifier', 'client_metadata', 'previous_response_id', 'type', 'generate']);

export function fromResponsesRequest(body: Record<string, unknown>): FromResponses {
  const warnings: string[] = [];
  const model = String(body.model);
  if (typeof body.previous_response_id === 'string') throw new TranslationRefusal('previous_response_id: the deployment speaks another API and keeps no responses; send the whole conversation in input');
  const system: string[] = [];
  if (typeof body.instructions === 'string' && body.instructions !== '') system.push(body.instructions);
  const messages: Message[] = [];
  const push = (role: Message['role'], blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (last && last.role === role) {
      const content = last.content as Block[];
      // Tool results open a user turn, before its text.
      if (role === 'user' && blocks.every((b) => b.type === 'tool_result')) {
        const firstOther = content.findIndex((b) => b.type !== 'tool_result');
        if (firstOther >= 0) return void content.splice(firstOther, 0, ...blocks);
      }
      content.push(...blocks);
    } else messages.push({ role, content: blocks });
  };
  const input: Item[] = typeof body.input === 'string' ? [{ type: 'message', role: 'user', content: body.input }] : Array.isArray(body.input) ? (body.input as Item[]) : [];
  if (body.input !== undefined && typeof body.input !== 'string' && !Array.isArray(body.input)) throw new TranslationRefusal('input: expected a string or an array of items');
  for (const item of input) {
    const type = item.type ?? (item.role ? 'message' : undefined);
    switch (type) {
      case 'message': {
        const role = String(item.role);
        if (role === 'system' || role === 'developer') {
          const text = contentBlocks(item.content, warnings).filter((b) => b.type === 'text').map((b) => String(b.text)).join('\n\n');
          if (text) system.push(text);
        } else push(role === 'assistant' ? 'assistant' : 'user', contentBlocks(item.content, warnings));
        break;
      }
      case 'function_call':
        push('assistant', [{ type: 'tool_use', id: String(item.call_id ?? item.id ?? ''), name: String(item.name), input: JSON.parse(wholeArguments(String(item.arguments ?? ''))) as unknown }]);
        break;
      case 'custom_tool_call':
        push('assistant', [{ type: 'tool_use', id: String(item.call_id ?? item.id ?? ''), name: String(item.name), input: { input: String(item.input ?? '') } }]);
        break;
      case 'function_call_output':
      case 'custom_tool_call_output': {
        const out = item.output;
        push('user', [{ type: 'tool_result', tool_use_id: String(item.call_id), content: typeof out === 'string' ? out : contentBlocks(out, warnings) }]);
        break;
      }
      case 'reasoning': {
        const text = ((item.summary as { text?: string }[] | undefined) ?? []).map((s) => s.text ?? '').join('');
        // encrypted_content carries Anthropic's signature when the item came from Anthropic through the gateway;
        // OpenAI's own (a Fernet token, `gAAAAA…`) is marked as OpenAI's, so Anthropic never gets it.
        const raw = typeof item.encrypted_content === 'string' ? item.encrypted_content : '';
        const signature = raw.startsWith('gAAAAA') ? translatedSignature('openai-responses') : raw;
        if (text || signature) push('assistant', [{ type: 'thinking', thinking: text, signature }]);
        break;
      }
      default:
        warnings.push(`input item of type "${type}" has no Anthropic equivalent: left out`);
    }
  }
  // Anthropic answers a conversation that ends with the user; a trailing assistant turn would be a prefill.
  const request: AnthropicRequest = { model, messages, max_tokens: typeof body.max_output_tokens === 'number' ? body.max_output_tokens : defaultMaxTokens(model) };
  if (system.length > 0) request.system = system.join('\n\n');
  if (body.stream === true) request.stream = true;
  if (typeof body.temperature === 'number') request.temperature = Math.min(1, body.temperature);
  if (typeof body.top_p === 'number') request.top_p = body.top_p;

  const customTools = new Set<string>();
  const tools: Tool[] = [];
  for (const t of (body.tools as Item[] | undefined) ?? []) {
    if (t.type === 'function') tools.push({ name: String(t.name), ...(t.description ? { description: t.description } : {}), input_schema: (t.parameters as Record<string, unknown> | null) ?? { type: 'object', properties: {} } });
    else if (t.type === 'custom') {
      customTools.add(String(t.name));
      tools.push({ name: String(t.name), ...(t.description ? { description: t.description } : {}), input_schema: CUSTOM_SCHEMA });
    } else if (t.type === 'web_search' || t.type === 'web_search_preview') tools.push({ type: 'web_search_20250305', name: 'web_search' });
    else warnings.push(`tool of type "${t.type}" has no Anthropic equivalent: left out`);
  }
  if (tools.length > 0) {
    request.tools = tools;
    const c = body.tool_choice as string | { type?: string; name?: string } | undefined;
    const serial = body.parallel_tool_calls === false;
    const choice: AnthropicRequest['tool_choice'] | undefined =
      c === 'required' ? { type: 'any' } : c === 'none' ? { type: 'none' } : c === 'auto' ? { type: 'auto' } : typeof c === 'object' && c.name ? { type: 'tool', name: c.name } : undefined;
    if (choice || serial) request.tool_choice = { ...(choice ?? { type: 'auto' }), ...(serial ? { disable_parallel_tool_use: true } : {}) };
  }
  const thinking = thinkingFor((body.reasoning as { effort?: string } | undefined)?.effort, request.max_tokens!);
  if (thinking) {
    request.thinking = thinking;
    dropSamplingForThinking(request, warnings);
  }
  const format = (body.text as { format?: { type?: string } } | undefined)?.format?.type;
  if (format && format !== 'text') warnings.push(`text.format "${format}" has no Anthropic equivalent: left out`);
  for (const k of Object.keys(body)) if (!IGNORED.has(k)) warnings.push(`${k} has no Anthropic equivalent: left out`);
  return { request, warnings, customTools };
}

function contentBlocks(content: unknown, warnings: string[]): Block[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  const out: Block[] = [];
  for (const p of content as Item[]) {
    if (p.type === 'input_text' || p.type === 'output_text' || p.type === 'text') {
      if (p.text !== '') out.push({ type: 'text', text: String(p.text) });
    } else if (p.type === 'refusal') out.push({ type: 'text', text: String(p.refusal) });
    else if (p.type === 'input_image' && typeof p.image_url === 'string') out.push({ type: 'image', source: mediaSource(p.image_url) });
    else if (p.type === 'input_file' && typeof p.file_data === 'string') out.push({ type: 'document', source: mediaSource(p.file_data), ...(p.filename ? { title: p.filename } : {}) });
    else warnings.push(`a content part of type "${p.type}"${p.file_id ? ' (an uploaded file id)' : ''} has no Anthropic equivalent: left out`);
  }
  return out;
}
