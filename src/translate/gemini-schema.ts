// Tool schemas as Gemini's `parameters` accepts them: the OpenAPI subset it documents. JSON Schema that clients
// send freely (`$schema`, `const`, `propertyNames`, `additionalProperties`, type arrays, formats other than
// `enum`/`date-time`, …) is a 400 there, so each schema is rebuilt from the keywords Gemini knows.

type Schema = Record<string, unknown>;

const KEPT = new Set(['type', 'description', 'nullable', 'enum', 'items', 'properties', 'required', 'minItems', 'maxItems', 'minLength', 'maxLength', 'minimum', 'maximum', 'pattern', 'anyOf', 'title', 'minProperties', 'maxProperties', 'propertyOrdering', 'default']);
const FORMATS: Record<string, Set<string>> = { string: new Set(['enum', 'date-time']), number: new Set(['float', 'double']), integer: new Set(['int32', 'int64']) };

export function geminiSchema(input: unknown): Schema {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return { type: 'object' };
  const s = input as Schema;
  const out: Schema = {};
  // `const: x` is a one-value enum; `type: ["string", "null"]` a nullable string.
  let type = s.type;
  if (Array.isArray(type)) {
    const real = type.filter((t) => t !== 'null');
    if (real.length < type.length) out.nullable = true;
    type = real[0] ?? 'string';
  }
  if (s.const !== undefined && s.enum === undefined) out.enum = [s.const];
  for (const [k, v] of Object.entries(s)) {
    if (!KEPT.has(k) || k === 'type') continue;
    if (k === 'properties' && v && typeof v === 'object') out.properties = Object.fromEntries(Object.entries(v as Schema).map(([name, sub]) => [name, geminiSchema(sub)]));
    else if (k === 'items') out.items = geminiSchema(v);
    else if (k === 'anyOf' && Array.isArray(v)) out.anyOf = v.map(geminiSchema);
    else out[k] = v;
  }
  if (Array.isArray(out.enum)) {
    // Gemini's enums are strings.
    out.enum = out.enum.filter((e) => e !== null).map(String);
    type = 'string';
  }
  if (type !== undefined) out.type = type;
  else if (out.properties) out.type = 'object';
  if (typeof s.format === 'string' && typeof type === 'string' && FORMATS[type]?.has(s.format)) out.format = s.format;
  if (Array.isArray(out.required) && out.properties) out.required = (out.required as string[]).filter((r) => r in (out.properties as Schema));
  if (out.type === 'array' && !out.items) out.items = { type: 'string' };
  if (out.properties && Object.keys(out.properties).length === 0) delete out.properties;
  return out;
}
