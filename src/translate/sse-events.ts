// Reads Anthropic SSE text back into its events (`event: x` + `data: {…}` pairs), for the translators' tests and
// the benchmark; the event name must agree with the data's `type`.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function parseEvents(text: string): Record<string, any>[] {
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((e) => {
      const [ev, data] = e.split('\n');
      const parsed = JSON.parse(data!.slice('data: '.length)) as { type: string };
      if (ev !== `event: ${parsed.type}`) throw new Error(`event line "${ev}" does not match type ${parsed.type}`);
      return parsed;
    });
}
