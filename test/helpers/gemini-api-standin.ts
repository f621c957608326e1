// A stand-in for Google's Gemini API (generativelanguage.googleapis.com, v1beta) as Gemini CLI calls it:
// `models/{model}:generateContent` answered with one GenerateContentResponse, `:streamGenerateContent?alt=sse` with
// `data: {…}` events (the last one with finishReason and usageMetadata), and `:countTokens`. Gemini CLI's first call
// of a turn is its model router, a generateContent that asks for JSON (`responseMimeType: application/json` with a
// `responseJsonSchema`): the stand-in answers an object that fits the schema it was sent. The key must come in
// x-goog-api-key or ?key=, as the API requires. Shapes from ai.google.dev's API reference and gemini-cli's source.
import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import { jsonBody, sendJson, startHttpsStandIn, type HttpsStandIn, type SeenRequest } from './https-standin.js';

export interface GeminiStandIn extends HttpsStandIn {
  /** The text of every plain answer. */
  answer: string;
  /** The content calls (generateContent and streamGenerateContent), in order. */
  contentCalls(): SeenRequest[];
}

const MODEL_CALL = /^\/(v1beta|v1)\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/;

export async function startGeminiStandIn(): Promise<GeminiStandIn> {
  const nonce = randomBytes(6).toString('hex');
  const answer = `Hello from the Gemini stand-in ${nonce}`;
  const host = await startHttpsStandIn((req, res, seen) => {
    const url = new URL(req.url!, 'https://x');
    const m = MODEL_CALL.exec(url.pathname);
    if (req.method !== 'POST' || !m) return apiError(res, 404, 'NOT_FOUND', `Method not found: ${req.method} ${url.pathname}`);
    const key = req.headers['x-goog-api-key'] ?? url.searchParams.get('key');
    if (!key) return apiError(res, 403, 'PERMISSION_DENIED', 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.');
    const model = m[2]!;
    const body = jsonBody(seen);
    if (m[3] === 'countTokens') return sendJson(res, 200, { totalTokens: 42 });
    const schema = body.generationConfig?.responseJsonSchema ?? body.generationConfig?.responseSchema;
    const text = body.generationConfig?.responseMimeType === 'application/json' && schema ? JSON.stringify(valueFor(schema)) : answer;
    const responseId = `standin-${nonce}-${seen.body.length}`;
    if (m[3] === 'generateContent') return sendJson(res, 200, final(model, responseId, text));
    // streamGenerateContent: SSE with alt=sse (the CLI's form); the text in two events, then the finish.
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const cut = Math.ceil(text.length / 2);
    for (const piece of [text.slice(0, cut), text.slice(cut)]) {
      res.write(`data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: piece }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 87, totalTokenCount: 87 }, modelVersion: model, responseId })}\r\n\r\n`);
    }
    res.write(`data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'STOP', index: 0 }], usageMetadata: usageMetadata(text), modelVersion: model, responseId })}\r\n\r\n`);
    res.end();
  });
  return {
    ...host,
    answer,
    contentCalls: () => host.seen.filter((s) => /:(generateContent|streamGenerateContent)/.test(s.url)),
  };
}

function final(model: string, responseId: string, text: string) {
  return { candidates: [{ content: { parts: [{ text }], role: 'model' }, finishReason: 'STOP', index: 0 }], usageMetadata: usageMetadata(text), modelVersion: model, responseId };
}

function usageMetadata(text: string) {
  const out = Math.max(1, Math.ceil(text.length / 4));
  return { promptTokenCount: 87, candidatesTokenCount: out, totalTokenCount: 87 + out, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 87 }] };
}

/** The API's error shape (google.rpc.Status inside `error`). */
function apiError(res: http.ServerResponse, code: number, status: string, message: string) {
  sendJson(res, code, { error: { code, message, status } });
}

/** A value that fits a JSON schema (OpenAPI-style types, either case): the first enum value, 1 for numbers. */
function valueFor(schema: Record<string, any>): unknown {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (String(schema.type ?? 'object').toLowerCase()) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, any>>)) out[name] = valueFor(sub);
      return out;
    }
    case 'array':
      return schema.items ? [valueFor(schema.items)] : [];
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return false;
    default:
      return 'stand-in';
  }
}
