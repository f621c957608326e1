// An Anthropic Messages request as an OpenAI chat-completions request: one system message, user turns whose
// tool_results become `tool` messages right after the assistant's tool_calls, assistant turns as content +
// tool_calls (+ reasoning_content for the providers that want their reasoning back), function tools, tool_choice,
// reasoning effort, and nothing the target does not know (fields are copied by name, never wholesale).
import { isServerTool, systemText, toolResultImages, toolResultText, type AnthropicRequest, type Block, type Message, type TranslatedRequest } from './anthropic.js';
import { thinkingFrom } from './thinking-origin.js';
import { clampMaxTokens, requestedEffort } from './effort.js';

type ChatMessage = Record<string, unknown> & { role: string };

export interface OpenAITarget {
  /** LiteLLM's provider name (`openai`, `deepseek`, `hosted_vllm`, …): some parameters depend on it. */
  provider: string;
}

export function toOpenAIRequest(req: AnthropicRequest, target: OpenAITarget): TranslatedRequest {
  const warnings: string[] = [];
  const messages: ChatMessage[] = [];
  const system = systemText(req.system);
  if (system) messages.push({ role: 'system', content: system });
  for (const m of req.messages ?? []) messages.push(...(m.role === 'assistant' ? assistantMessage(m, target) : userMessages(m)));

  const body: Record<string, unknown> = { model: req.model, messages };
  const max = clampMaxTokens(req.model, req.max_tokens);
  // OpenAI's own reasoning models take only max_completion_tokens; the compatible servers read max_tokens.
  if (max !== undefined) body[target.provider === 'openai' ? 'max_completion_tokens' : 'max_tokens'] = max;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.top_p !== undefined) body.top_p = req.top_p;
  if (req.stop_sequences?.length) body.stop = req.stop_sequences;
  if (req.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }

  const tools: Record<string, unknown>[] = [];
  const dropped = new Set<string>();
  for (const t of req.tools ?? []) {
    if (isServerTool(t)) {
      dropped.add(String(t.name));
      warnings.push(`tool "${String(t.name)}" (${String(t.type)}) is Anthropic's server tool; chat completions have none like it: left out`);
      continue;
    }
    tools.push({ type: 'function', function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.input_schema ?? { type: 'object', properties: {} } } });
  }
  if (tools.length > 0) {
    body.tools = tools;
    const choice = toolChoice(req.tool_choice, dropped, warnings);
    if (choice !== undefined) body.tool_choice = choice;
    if (req.tool_choice?.disable_parallel_tool_use) body.parallel_tool_calls = false;
  }

  const effort = requestedEffort(req);
  if (effort && acceptsReasoningEffort(target.provider, req.model)) body.reasoning_effort = effort;
  return { body, warnings };
}

function toolChoice(choice: AnthropicRequest['tool_choice'], dropped: Set<string>, warnings: string[]): unknown {
  switch (choice?.type) {
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      if (dropped.has(String(choice.name))) {
        warnings.push(`tool_choice named "${choice.name}", which was left out: the model chooses`);
        return undefined;
      }
      return { type: 'function', function: { name: choice.name } };
    case 'auto':
      return 'auto';
    default:
      return undefined;
  }
}

/** Providers that reject `reasoning_effort` for some or all models: OpenAI's non-reasoning models, DeepSeek, Mistral, Perplexity. */
function acceptsReasoningEffort(provider: string, model: string): boolean {
  if (provider === 'openai') return /^(o\d|gpt-5)/.test(model);
  return !['deepseek', 'mistral', 'perplexity'].includes(provider);
}

/** A user turn: its tool_results first, as `tool` messages in order (each id once), then the rest as one user message. */
function userMessages(m: Message): ChatMessage[] {
  if (typeof m.content === 'string') return [{ role: 'user', content: m.content }];
  const out: ChatMessage[] = [];
  const seen = new Set<string>();
  const images: Block[] = [];
  const rest: Block[] = [];
  for (const b of m.content) {
    if (b.type !== 'tool_result') {
      rest.push(b);
      continue;
    }
    const id = String(b.tool_use_id);
    if (seen.has(id)) continue;
    seen.add(id);
    const text = toolResultText(b.content);
    // Chat completions have no error flag on a tool message: the model reads it in the text.
    out.push({ role: 'tool', tool_call_id: id, content: b.is_error ? `Error: ${text}` : text });
    images.push(...toolResultImages(b.content));
  }
  // Tool messages carry text only: a tool's images follow in a user message.
  const parts = [...images, ...rest].map(userPart).filter((p): p is Record<string, unknown> => p !== null);
  if (parts.length > 0) out.push({ role: 'user', content: parts.every((p) => p.type === 'text') ? parts.map((p) => p.text).join('\n\n') : parts });
  return out;
}

function userPart(b: Block): Record<string, unknown> | null {
  if (b.type === 'text') return { type: 'text', text: b.text };
  const source = b.source as { type: string; media_type?: string; data?: string; url?: string } | undefined;
  if (b.type === 'image' && source) return { type: 'image_url', image_url: { url: source.type === 'url' ? source.url : `data:${source.media_type};base64,${source.data}` } };
  if (b.type === 'document' && source) {
    if (source.type === 'text') return { type: 'text', text: source.data };
    if (source.type === 'base64') return { type: 'file', file: { filename: String(b.title ?? 'document.pdf'), file_data: `data:${source.media_type};base64,${source.data}` } };
  }
  return null;
}

/** An assistant turn: texts joined as content, tool_use blocks as tool_calls (`{}` for no input), thinking this format produced as reasoning_content. */
function assistantMessage(m: Message, target: OpenAITarget): ChatMessage[] {
  if (typeof m.content === 'string') return [{ role: 'assistant', content: m.content }];
  const text = m.content.filter((b) => b.type === 'text').map((b) => String(b.text)).join('');
  const reasoning = m.content.filter((b) => thinkingFrom(b, 'openai')).map((b) => String(b.thinking ?? '')).join('');
  const calls = m.content
    .filter((b) => b.type === 'tool_use')
    .map((b) => ({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } }));
  const out: ChatMessage = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text };
  if (calls.length > 0) out.tool_calls = calls;
  // DeepSeek's reasoner wants its reasoning_content back on turns that called tools; others ignore the field.
  if (reasoning && target.provider === 'deepseek') out.reasoning_content = reasoning;
  return [out];
}
