// Benchmark upstream, run as its own process: answers POSTs with 1 KB of JSON over HTTP and HTTPS, and
// /sse with a first event at once, then one every 200 ms for 2 s; .../chat/completions with an OpenAI chat stream
// (20 content chunks, the usage chunk, [DONE]) at once, and under /anthropic-sse/ the same answer as Anthropic's
// Messages stream; WebSocket upgrades on either get an echo of every message.
// Prints its ports as JSON on stdout.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const [key, cert] = [process.env.BENCH_TLS_KEY!, process.env.BENCH_TLS_CERT!];
/** A Messages API answer as the provider sends it (model, stop reason, usage): the usage stage reads and prices it. */
const reply = Buffer.from(
  JSON.stringify({
    id: 'msg_bench',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [{ type: 'text', text: 'x'.repeat(700) }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 250, cache_creation_input_tokens: 0, cache_read_input_tokens: 1000, output_tokens: 200, service_tier: 'standard' },
  }),
);

const chatHead = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_760_000_000, model: 'gpt-bench' };
const chatChunks = [
  ...Array.from({ length: 20 }, (_, i) => ({ ...chatHead, choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content: '' } : { content: 'word ' }, finish_reason: null }] })),
  { ...chatHead, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
  { ...chatHead, choices: [], usage: { prompt_tokens: 300, completion_tokens: 19, total_tokens: 319 } },
].map((c) => `data: ${JSON.stringify(c)}\n\n`);
chatChunks.push('data: [DONE]\n\n');
/** The same answer as Anthropic streams it: message_start, one text block of 19 deltas, message_delta, message_stop. */
const anthropicEvents = [
  ['message_start', { type: 'message_start', message: { id: 'msg_bench', type: 'message', role: 'assistant', model: 'claude-bench', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 300, output_tokens: 1 } } }],
  ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
  ...Array.from({ length: 19 }, () => ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'word ' } }]),
  ['content_block_stop', { type: 'content_block_stop', index: 0 }],
  ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 19 } }],
  ['message_stop', { type: 'message_stop' }],
].map(([name, data]) => `event: ${name as string}\ndata: ${JSON.stringify(data)}\n\n`);

function handler(req: http.IncomingMessage, res: http.ServerResponse) {
  req.resume();
  req.on('end', () => {
    if (req.url === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let i = 0;
      const send = () => {
        res.write(`event: content_block_delta\ndata: {"i":${i}}\n\n`);
        if (++i >= 11) return res.end();
        setTimeout(send, 200);
      };
      send();
      return;
    }
    if (req.url?.startsWith('/anthropic-sse/')) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      res.write(anthropicEvents[0]);
      res.end(anthropicEvents.slice(1).join(''));
      return;
    }
    if (req.url?.endsWith('/chat/completions')) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      res.write(chatChunks[0]);
      res.end(chatChunks.slice(1).join(''));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': reply.length });
    res.end(reply);
  });
}

const plain = http.createServer({ keepAliveTimeout: 60_000 }, handler);
const secure = https.createServer({ key, cert, keepAliveTimeout: 60_000 }, handler);
for (const server of [plain, secure]) {
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, binary) => ws.send(data, { binary }));
  });
}
await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
console.log(JSON.stringify({ http: (plain.address() as AddressInfo).port, https: (secure.address() as AddressInfo).port }));
