// What is particular to Gemini's API at the gateway: its key may come in the URL (`?key=`); the gateway moves it
// into the x-goog-api-key header, which Google accepts the same, so that a key never travels (or is recorded) as
// part of a URL, and so that a deployment's own api_key can replace it. The rest of the query (`alt=sse`) is kept.

/** Removes `key` from `query` (`?a=b&key=…`, or ``), setting x-goog-api-key from it unless the header is there. */
export function moveGeminiKey(query: string, headers: Record<string, string | string[]>): string {
  if (!query.includes('key=')) return query;
  const params = new URLSearchParams(query.slice(1));
  const key = params.get('key');
  if (key === null) return query;
  params.delete('key');
  if (headers['x-goog-api-key'] === undefined && key !== '') headers['x-goog-api-key'] = key;
  const rest = params.toString();
  return rest ? `?${rest}` : '';
}
