// Which header, query parameter and body field names carry credentials: the one maintained list behind every
// redaction. Names compare in a normalised form (lower case, no `-`, `_`, `.` or spaces), so `apiKey`,
// `api-key`, `API_KEY` and `x-goog-api-key` are read alike.

/** Headers that carry a credential in requests or responses (besides names ending as a secret field does). */
export const SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'cookie',
  'set-cookie',
  'x-goog-api-key',
  'api-key',
  'anthropic-api-key',
  'x-amz-security-token',
  'x-auth-token',
  'x-csrf-token',
  'x-xsrf-token',
  'x-litellm-api-key',
  'ocp-apim-subscription-key',
  'x-functions-key',
];

/**
 * Name endings that always mean a credential, in a body field, a query parameter or a header:
 * `password`, `db_password`, `openai_api_key`, `client_secret`, `x-amz-security-token`, `proxy-authorization`.
 */
const SECRET_ENDINGS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'apikey',
  'privatekey',
  'secretkey',
  'subscriptionkey',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'sessiontoken',
  'authtoken',
  'securitytoken',
  'bearertoken',
  'apitoken',
  'oauthtoken',
  'codeverifier',
  'clientassertion',
  'authorization',
  'cookie',
];

/**
 * Names that are credentials only sometimes (`token` is also a logprob entry's text, `key` a map entry's name):
 * in bodies their value must look like a credential to be redacted. Every other name ending in `token` too.
 */
const AMBIGUOUS_NAMES = ['token', 'key', 'jwt'];

/** Query parameters that are secret there but ordinary words in a body (`signature` of a thinking block). */
const QUERY_ONLY = ['code', 'sig', 'signature', 'xamzsignature', 'xamzcredential', 'xgoogsignature', 'xgoogcredential', 'auth', 'pass', 'pwd'];

/** A body field (an OAuth token request's) that makes `code` in the same object a credential. */
export const OAUTH_MARK = 'granttype';
/** Sibling fields that mark a logprob entry, whose `token` is model output (OpenAI, Gemini, TGI). */
export const LOGPROB_MARKS = new Set(['logprob', 'logprobability', 'tokenid']);

export const normalise = (name: string): string => name.toLowerCase().replace(/[-_.\s]/g, '');

/**
 * How a body field is treated: `always` redacted; `shaped` only when its value looks like a credential and
 * the object is not a logprob entry; `oauth-code` only in an object that has a grant_type; null never.
 */
export type FieldClass = 'always' | 'shaped' | 'oauth-code' | null;

const endsWithAny = (n: string, endings: readonly string[]) => endings.some((e) => n.endsWith(e));

export function fieldClass(normalised: string): FieldClass {
  if (endsWithAny(normalised, SECRET_ENDINGS)) return 'always';
  if (AMBIGUOUS_NAMES.includes(normalised) || normalised.endsWith('token')) return 'shaped';
  if (normalised === 'code') return 'oauth-code';
  return null;
}

/** Query parameters: every body secret, ambiguous or not, and the query-only names (`sig`, `X-Amz-Signature`). */
export const isSecretParam = (normalised: string): boolean => fieldClass(normalised) !== null || QUERY_ONLY.includes(normalised);

const SECRET_HEADER_NAMES = new Set(SECRET_HEADERS.map(normalise));

/** Headers carry no model output: any name ending in `token` counts, as do the secret endings. */
export const isSecretHeader = (normalised: string): boolean => SECRET_HEADER_NAMES.has(normalised) || fieldClass(normalised) === 'always' || normalised.endsWith('token');

/** Names whose value keeps its scheme word (`Bearer`, `Basic`) before the fingerprint. */
export const keepsScheme = (normalised: string): boolean => normalised.endsWith('authorization');

/** The fewest characters a value of an ambiguous field needs to be taken for a credential. */
const CREDENTIAL_MIN_LENGTH = 16;
const CREDENTIAL_CHARS = /^[A-Za-z0-9._~+/=-]+$/;

/**
 * A credential's shape: one word of URL-safe or base64 characters, long enough, mixing letters and digits
 * (random keys do; words, identifiers and runs of punctuation that LLMs emit as tokens do not).
 */
export function credentialShaped(value: string): boolean {
  return value.length >= CREDENTIAL_MIN_LENGTH && CREDENTIAL_CHARS.test(value) && /[A-Za-z]/.test(value) && /[0-9]/.test(value);
}

/**
 * How a field name that may be secret ends, as written (lower case): `…password`, `…key`, `…token`, and
 * `grant_type`, which makes `code` one. The cheap pre-check (redact-json.ts) looks for these before anything
 * is scanned.
 */
export const SECRET_NAME_STEMS = ['password', 'passwd', 'passphrase', 'secret', 'key', 'token', 'jwt', 'authorization', 'cookie', 'verifier', 'assertion', 'grant_type', 'grant-type', 'granttype'];

