// The Anthropic Messages shapes the translators read and write (only the fields they touch), and the small rules
// every translation shares: which system blocks are volatile, which tools are the provider's own (server tools),
// tool-argument JSON made whole, generated tool-call ids.
import { randomBytes } from 'node:crypto';

export type Block = Record<string, unknown> & { type: string };
/** A tool definition: custom tools may leave out `type`; server tools have a versioned one. */
export type Tool = Record<string, unknown> & { name: string; type?: string };
export interface Message {
  role: 'user' | 'assistant';
  content: string | Block[];
}
export interface AnthropicRequest {
  model: string;
  messages: Message[];
  system?: string | Block[];
  max_tokens?: number;
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  tools?: Tool[];
  tool_choice?: { type: 'auto' | 'any' | 'tool' | 'none'; name?: string; disable_parallel_tool_use?: boolean };
  thinking?: { type: 'enabled' | 'disabled' | 'adaptive'; budget_tokens?: number };
  output_config?: { effort?: string };
  [other: string]: unknown;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

/** What a translation of a request gives: the provider's body, and what had to be left out (logged as warnings). */
export interface TranslatedRequest {
  body: Record<string, unknown>;
  warnings: string[];
}

/**
 * Claude Code's first system block, `x-anthropic-billing-header: cc_version=…; cch=…;`, changes on every request:
 * kept, it would defeat every provider's prefix cache, and no other provider reads it.
 */
export const isBillingHeader = (b: Block) => b.type === 'text' && typeof b.text === 'string' && b.text.startsWith('x-anthropic-billing-header');

/** The system prompt as one text: its text blocks in order (cache_control has no meaning elsewhere), the billing header left out. */
export function systemText(system: AnthropicRequest['system']): string {
  if (system === undefined) return '';
  if (typeof system === 'string') return system;
  return system.filter((b) => b.type === 'text' && !isBillingHeader(b)).map((b) => String(b.text)).join('\n\n');
}

/** A tool the provider runs itself (`web_search_20250305`, `code_execution_…`): it has a versioned type and no input_schema. */
export const isServerTool = (t: Tool) => t.input_schema === undefined && t.type !== 'custom';

/** The text of a tool_result's content (a string, or blocks whose texts are joined). */
export function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Block[]).filter((b) => b.type === 'text').map((b) => String(b.text)).join('\n');
}

/** The image blocks inside a tool_result's content. */
export const toolResultImages = (content: unknown): Block[] => (Array.isArray(content) ? (content as Block[]).filter((b) => b.type === 'image') : []);

export const newToolId = () => `toolu_${randomBytes(12).toString('base64url')}`;
export const newMessageId = () => `msg_${randomBytes(12).toString('base64url')}`;

/**
 * Tool arguments as a JSON object text: empty → `{}`; a text cut short (an unclosed string, brackets) is closed;
 * anything else that is not an object → `{}`.
 */
export function wholeArguments(text: string): string {
  const t = text.trim();
  if (t === '') return '{}';
  if (isObjectJson(t)) return t;
  const closed = t + closingSuffix(t);
  return isObjectJson(closed) ? closed : '{}';
}

function isObjectJson(t: string): boolean {
  try {
    const v = JSON.parse(t) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** What closes a JSON text cut short: an open string's quote, then the open brackets in reverse. */
export function closingSuffix(t: string): string {
  const stack: string[] = [];
  let inString = false;
  let escaped = false;
  for (const ch of t) {
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{') stack.push('}');
    else if (ch === '[') stack.push(']');
    else if (ch === '}' || ch === ']') stack.pop();
  }
  let suffix = inString ? '"' : '';
  const tail = (t + suffix).trimEnd();
  if (tail.endsWith(':')) suffix += 'null';
  return suffix + stack.reverse().join('');
}

/** Anthropic's stop reasons; anything else a provider says is passed on as it is (and warned about), never guessed. */
export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal' | 'pause_turn' | (string & {});
