// What the client sent beside what went to the provider: a reverse flow and its forward child (linked by the stored
// parent trace id, never by times), compared — URL and host, model, headers added, dropped or changed (credentials
// compared as stored, i.e. as fingerprints), and the body as a structural JSON diff with paths.
import type { Flow } from '../flow/flow.js';
import type { LlmApi } from '../usage/call.js';
import { bodyText, parseJson } from '../usage/wire.js';
import { jsonDiff, type ChangeKind, type JsonChange } from './json-diff.js';
import { readCall } from './llm-call.js';

/** A header on one side only, or with other values. Values are as stored (secrets fingerprinted); repeats joined with `, `. */
export interface HeaderChange {
  /** Lower-case. */
  name: string;
  kind: ChangeKind;
  before: string | null;
  after: string | null;
  /** A header a proxy hop sets or drops by itself (host, content-length, connection, encodings…): expected to differ. */
  transport: boolean;
}

export interface BodyDiff {
  /** The stored bodies are byte for byte the same. */
  same: boolean;
  /** Both bodies JSON: the structural differences; null otherwise. */
  changes: JsonChange[] | null;
  truncated: boolean;
  beforeBytes: number;
  afterBytes: number;
}

export interface PairDiff {
  reverseTraceId: string;
  forwardTraceId: string;
  /** The forward flow's stored parent is the reverse flow (false: the caller paired them some other way). */
  linked: boolean;
  method: { before: string | null; after: string | null; changed: boolean };
  url: { before: string | null; after: string | null; changed: boolean; hostChanged: boolean; pathChanged: boolean };
  api: { before: LlmApi | null; after: LlmApi | null };
  /** The model the request named on each side; `changed`: the gateway rewrote it. */
  model: { before: string | null; after: string | null; changed: boolean };
  headers: HeaderChange[];
  body: BodyDiff;
  notes: string[];
}

/** Headers a proxy hop sets, drops or rewrites by itself (RFC 9110 hop-by-hop, framing, encodings, ccproxy's own link). */
const TRANSPORT = new Set(['host', 'content-length', 'connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'accept-encoding', 'content-encoding', 'via', 'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-ccproxy-parent-trace', 'expect']);

function headerValue(v: unknown): string {
  if (Array.isArray(v)) return v.map(headerValue).join(', ');
  return typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
}

function headerMap(h: Record<string, unknown> | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(h ?? {})) {
    const name = k.toLowerCase();
    const value = headerValue(v);
    out.set(name, out.has(name) ? `${out.get(name)}, ${value}` : value);
  }
  return out;
}

/** Header differences, sorted by name. */
export function headerChanges(before: Record<string, unknown> | null | undefined, after: Record<string, unknown> | null | undefined): HeaderChange[] {
  const a = headerMap(before);
  const b = headerMap(after);
  const out: HeaderChange[] = [];
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(name) ?? null;
    const y = b.get(name) ?? null;
    if (x === y) continue;
    out.push({ name, kind: x === null ? 'added' : y === null ? 'removed' : 'changed', before: x, after: y, transport: TRANSPORT.has(name) });
  }
  return out;
}

function urlParts(u: string | null): { host: string | null; path: string | null } {
  if (u === null) return { host: null, path: null };
  try {
    const p = new URL(u);
    return { host: p.host, path: p.pathname + p.search };
  } catch {
    return { host: null, path: u };
  }
}

function bodyDiff(reverse: Flow, forward: Flow, notes: string[]): BodyDiff {
  const x = reverse.request.body;
  const y = forward.request.body;
  const out: BodyDiff = { same: false, changes: null, truncated: false, beforeBytes: x?.length ?? 0, afterBytes: y?.length ?? 0 };
  for (const [f, side] of [[reverse, 'client'], [forward, 'provider']] as const) {
    if (f.request.body === null && f.request.bodySize > 0) notes.push(`the ${side} side's body was not stored`);
    if (f.request.bodyTruncated) notes.push(`the ${side} side's body was cut at the size limit: the comparison covers what was stored`);
  }
  if (x === null || y === null) {
    out.same = x === y;
    return out;
  }
  out.same = Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
  if (out.same) {
    out.changes = [];
    return out;
  }
  const a = parseJson(bodyText(x) ?? '');
  const b = parseJson(bodyText(y) ?? '');
  if (!a.ok || !b.ok) {
    notes.push(`the ${!a.ok && !b.ok ? 'bodies are' : !a.ok ? "client's body is" : "provider's body is"} not JSON: they differ, but not structurally`);
    return out;
  }
  const d = jsonDiff(a.value, b.value);
  out.changes = d.changes;
  out.truncated = d.truncated;
  return out;
}

/** The difference between what the client sent (`reverse`) and what went to the provider (`forward`). Never throws. */
export function pairDiff(reverse: Flow, forward: Flow): PairDiff {
  const notes: string[] = [];
  const linked = forward.parentId === reverse.id;
  if (!linked) notes.push('the provider-side request is not linked to this client request by the stored parent trace id');
  const method = { before: reverse.request.method, after: forward.request.method, changed: reverse.request.method !== forward.request.method };
  const beforeUrl = reverse.request.originalUrl ?? reverse.request.url;
  const afterUrl = forward.request.url;
  const pu = urlParts(beforeUrl);
  const fu = urlParts(afterUrl);
  const url = { before: beforeUrl, after: afterUrl, changed: beforeUrl !== afterUrl, hostChanged: pu.host !== fu.host, pathChanged: pu.path !== fu.path };
  let api: PairDiff['api'] = { before: null, after: null };
  let model: PairDiff['model'] = { before: null, after: null, changed: false };
  let body: BodyDiff = { same: false, changes: null, truncated: false, beforeBytes: reverse.request.body?.length ?? 0, afterBytes: forward.request.body?.length ?? 0 };
  let headers: HeaderChange[] = [];
  try {
    const r = readCall(reverse);
    const f = readCall(forward);
    api = { before: r.api, after: f.api };
    model = { before: r.model, after: f.model, changed: r.model !== f.model };
    if (r.api !== null && f.api !== null && r.api !== f.api) notes.push(`the gateway translated the request from ${r.api} to ${f.api}: the body diff compares two formats`);
    headers = headerChanges(reverse.request.headers, forward.request.headers);
    body = bodyDiff(reverse, forward, notes);
  } catch (e) {
    notes.push(`the requests could not be compared in full: ${(e as Error).message}`);
  }
  return { reverseTraceId: reverse.id, forwardTraceId: forward.id, linked, method, url, api, model, headers, body, notes };
}

/**
 * The session's client-side flows (no parent: reverse, or forward sent to the gateway by map_remote) with the flows
 * linked to them (by `parentId`), in the flows' order.
 */
export function linkedPairs(flows: readonly Flow[]): { reverse: Flow; forwards: Flow[] }[] {
  const byId = new Map(flows.filter((f) => f.parentId === undefined).map((f) => [f.id, { reverse: f, forwards: [] as Flow[] }]));
  for (const f of flows) if (f.parentId !== undefined) byId.get(f.parentId)?.forwards.push(f);
  return [...byId.values()].filter((p) => p.forwards.length > 0);
}
