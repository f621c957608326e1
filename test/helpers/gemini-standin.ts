// A stand-in Gemini API (generativelanguage.googleapis.com) in its real wire format: generateContent JSON with
// usageMetadata, streamGenerateContent as SSE (`?alt=sse`: `data: {…}` chunks, the last with finishReason and
// usage) or as a JSON array without it, countTokens, embedContent; and, for a request asking for
// `responseMimeType: application/json` (Gemini CLI's routing call), the answer text is JSON that fits the schema sent.
import type http from 'node:http';
import { ApiStandIn, type SeenRequest } from './api-standin.js';

export const GEMINI_TEXT = 'Hello from the Gemini stand-in';

const usage = { promptTokenCount: 7, candidatesTokenCount: 5, totalTokenCount: 12, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 7 }] };

function candidate(text: string, finish: boolean) {
  return { content: { parts: [{ text }], role: 'model' }, ...(finish ? { finishReason: 'STOP' } : {}), index: 0 };
}

export class GeminiStandIn extends ApiStandIn {
  protected answer(_req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest, body: Record<string, unknown>) {
    const url = new URL(seen.url, 'http://x');
    const call = /\/models\/([^/:]+):(\w+)$/.exec(url.pathname);
    if (!call || seen.method !== 'POST') return this.echo(res, seen);
    const [, model, method] = call as unknown as [string, string, string];
    if (!seen.headers['x-goog-api-key']) return this.json(res, 403, { error: { code: 403, message: 'Method doesn\'t allow unregistered callers. Please use API Key.', status: 'PERMISSION_DENIED' } });
    const config = (body.generationConfig ?? {}) as { responseMimeType?: string; responseJsonSchema?: JsonSchema; responseSchema?: JsonSchema };
    const schema = config.responseJsonSchema ?? config.responseSchema;
    // Gemini CLI's router asks for JSON in a schema of its own (0.61: complexity_reasoning/complexity_score; older:
    // reasoning/model_choice): an object that fits the schema sent, or the classic router answer without one.
    const json = schema?.properties ? valueFor(schema) : { reasoning: 'A direct question.', model_choice: 'flash' };
    const text = config.responseMimeType === 'application/json' ? JSON.stringify(json) : GEMINI_TEXT;
    const modelVersion = decodeURIComponent(model);
    switch (method) {
      case 'generateContent':
        return this.json(res, 200, { candidates: [candidate(text, true)], usageMetadata: usage, modelVersion, responseId: 'resp-gemini-1' });
      case 'streamGenerateContent': {
        const words = text.split(/(?<= )/);
        const chunks = words.map((w, i) => ({ candidates: [candidate(w, i === words.length - 1)], ...(i === words.length - 1 ? { usageMetadata: usage } : {}), modelVersion, responseId: 'resp-gemini-2' }));
        if (url.searchParams.get('alt') !== 'sse') return this.json(res, 200, chunks);
        res.writeHead(200, { 'content-type': 'text/event-stream', 'x-gemini-service-tier': 'standard' });
        for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\r\n\r\n`);
        return void res.end();
      }
      case 'countTokens':
        return this.json(res, 200, { totalTokens: 7, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 7 }] });
      case 'embedContent':
        return this.json(res, 200, { embedding: { values: [0.1, 0.2, 0.3] } });
      default:
        return this.json(res, 404, { error: { code: 404, message: `method ${method} not found`, status: 'NOT_FOUND' } });
    }
  }
}

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
}

/** A value that fits a JSON schema (OpenAPI-style type names, either case): the first enum value, 1 for numbers. */
function valueFor(schema: JsonSchema): unknown {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (String(schema.type ?? 'object').toLowerCase()) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([name, sub]) => [name, valueFor(sub)]));
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
