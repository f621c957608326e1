// Anthropic's streamed answer as its API sends it (docs.anthropic.com, "Streaming Messages": message_start, ping,
// thinking with its signature_delta, text, two tool_use blocks with input_json_delta fragments, message_delta with
// the usage, message_stop), and a reader of SSE text into events: for the tests and the benchmark of the
// translations that start from Anthropic's answers.
import { createParser } from 'eventsource-parser';

const e = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

export const ANTHROPIC_STREAM = [
  e('message_start', { message: { id: 'msg_01XFDUDYJgAACzvnptvVoYEL', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 472, cache_creation_input_tokens: 0, cache_read_input_tokens: 2048, output_tokens: 2 } } }),
  e('ping', {}),
  e('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
  e('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'List, then read.' } }),
  e('content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' } }),
  e('content_block_stop', { index: 0 }),
  e('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }),
  e('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'Let me ' } }),
  e('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'look.' } }),
  e('content_block_stop', { index: 1 }),
  e('content_block_start', { index: 2, content_block: { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'Bash', input: {} } }),
  e('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '' } }),
  e('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{"command": "l' } }),
  e('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: 's -la"}' } }),
  e('content_block_stop', { index: 2 }),
  e('content_block_start', { index: 3, content_block: { type: 'tool_use', id: 'toolu_01AbCdEfGhIjKlMnOpQrStUv', name: 'Read', input: {} } }),
  e('content_block_delta', { index: 3, delta: { type: 'input_json_delta', partial_json: '{"path":"a.ts"}' } }),
  e('content_block_stop', { index: 3 }),
  e('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 89 } }),
  e('message_stop', {}),
].join('');

/** The same answer as one JSON message. */
export const ANTHROPIC_MESSAGE = {
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [
    { type: 'thinking', thinking: 'List, then read.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' },
    { type: 'text', text: 'Let me look.' },
    { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'Bash', input: { command: 'ls -la' } },
    { type: 'tool_use', id: 'toolu_01AbCdEfGhIjKlMnOpQrStUv', name: 'Read', input: { path: 'a.ts' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 472, cache_creation_input_tokens: 0, cache_read_input_tokens: 2048, output_tokens: 89 },
};

/** The `data:` payloads of SSE text, in order (`[DONE]` included as it is). */
export function sseData(text: string): string[] {
  const out: string[] = [];
  const parser = createParser({ onEvent: (ev) => out.push(ev.data) });
  parser.feed(text);
  return out;
}
