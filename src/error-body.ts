// The JSON error body ccproxy answers with wherever it speaks for itself (gateway, capture points, access guard):
// Anthropic's shape, whose `error.message` the OpenAI and Gemini SDKs read as well.
export function errorBody(type: string, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'error', error: { type, message, ...extra } });
}
