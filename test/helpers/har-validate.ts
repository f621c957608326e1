// HAR 1.2 validation for tests: the har-schema package's JSON Schemas (the HAR 1.2 spec as draft-06 schemas)
// compiled with Ajv, formats (date-time, uri, ipv4/ipv6) checked by ajv-formats; plus the spec's rules on timings
// that the schemas write with a keyword JSON Schema does not have ("min").
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

const require = createRequire(import.meta.url);
let validate: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (validate) return validate;
  // strict: false — the schemas carry non-standard keywords ("min", "optional") that Ajv would otherwise refuse.
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  const schemas = require('har-schema') as Record<string, object>;
  for (const s of Object.values(schemas)) ajv.addSchema(s);
  validate = ajv.getSchema('har.json#')!;
  return validate;
}

/** Fails with Ajv's errors when `har` is not valid HAR 1.2. */
export function assertValidHar(har: unknown): void {
  const v = validator();
  assert.ok(v(har), `not valid HAR 1.2: ${JSON.stringify(v.errors, null, 2)}`);
  for (const e of (har as { log: { entries: { time: number; timings: Record<string, number> }[] } }).log.entries) {
    const t = e.timings;
    for (const k of ['send', 'wait', 'receive']) assert.ok(t[k]! >= 0, `timings.${k} must be non-negative: ${t[k]}`);
    for (const k of ['blocked', 'dns', 'connect', 'ssl']) assert.ok(t[k] === undefined || t[k] === -1 || t[k]! >= 0, `timings.${k} is -1 or non-negative: ${t[k]}`);
    if (t.connect! >= 0 && t.ssl! >= 0) assert.ok(t.connect! >= t.ssl!, 'connect includes ssl');
    const sum = ['blocked', 'dns', 'connect', 'send', 'wait', 'receive'].reduce((n, k) => n + Math.max(0, t[k] ?? 0), 0);
    assert.ok(Math.abs(sum - e.time) < 0.01, `time ${e.time} is the sum of the timings ${sum}`);
  }
}
