// A filter expression (filter-parse.ts) as a parameterised SQL condition on "CCProxy_HttpTraces": what `ccproxy
// traces` and the HAR export select with. Values never enter the SQL text: each is a $n parameter. Regular
// expressions run in PostgreSQL, case-insensitive (`~*`) as mitmproxy's are by default; header regexes see the
// headers as mitmproxy does, one `name: value` line each (ending in \n, not \r\n, so that $ is a value's end),
// with ^ and $ at line ends. The LLM usage table is touched only by the operators that read it (~model, ~tool,
// ~cost, ~tokens), each as an EXISTS on its key.
import { UserError } from '../errors.js';
import { TABLE } from '../store/table.js';
import { USAGE_TABLE } from '../store/usage-table.js';
import { WS_TABLE } from '../store/ws-table.js';
import { FilterSyntaxError, parseFilter, type FilterNode } from './filter-parse.js';

export { FilterSyntaxError, parseFilter, type FilterNode } from './filter-parse.js';

/** A filter that does not parse, as the CLI reports it: one message with a caret, the bad-arguments exit code. */
export class FilterError extends UserError {
  /** The 0-based column the message points at, when it points at one. */
  constructor(
    message: string,
    readonly position: number | null = null,
  ) {
    super(message, 2);
    this.name = 'FilterError';
  }
}

export interface CompileOptions {
  /** The alias the trace table has in the caller's query (default `t`). */
  alias?: string;
  /** Parameters the caller's query already uses before these: the first one here is $(offset+1). */
  paramOffset?: number;
}

export interface CompiledFilter {
  /** A boolean SQL expression over the trace table's alias. */
  where: string;
  values: unknown[];
  /** True when the condition reads "CCProxy_LlmUsage". */
  usesUsage: boolean;
}

/**
 * Total tokens of a usage row: the kinds are disjoint (src/usage/call.ts), reasoning counted in output. NULL when
 * no kind was counted (a call that failed, a usage not read): unknown, which no comparison matches, not 0.
 */
export const TOTAL_TOKENS_SQL = (u: string) =>
  `(CASE WHEN num_nonnulls(${u}.input_tokens, ${u}.output_tokens, ${u}.cache_read_tokens, ${u}.cache_write_5m_tokens, ${u}.cache_write_1h_tokens) = 0 THEN NULL
    ELSE coalesce(${u}.input_tokens,0) + coalesce(${u}.output_tokens,0) + coalesce(${u}.cache_read_tokens,0) + coalesce(${u}.cache_write_5m_tokens,0) + coalesce(${u}.cache_write_1h_tokens,0) END)`;

/**
 * Stored headers (string values, arrays for repeats) as mitmproxy's bytes(headers), `name: value` lines, but each
 * ending in \n alone: matched newline-sensitively, `$` is then the end of a value, where after \r it would not be.
 */
const headerText = (col: string) =>
  `(SELECT string_agg(h.key || ': ' || v.x || E'\\n', '') FROM jsonb_each(${col}) h CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(h.value) = 'array' THEN h.value ELSE jsonb_build_array(h.value) END) v(x))`;

// Bodies are bytes of any encoding: read as LATIN1 (every byte a character, never an error) and matched with the
// pattern's UTF-8 bytes read the same way, so ASCII and literal UTF-8 text both match.
const bodyText = (col: string) => `convert_from(${col}, 'LATIN1')`;
const asLatin1 = (pattern: string) => Buffer.from(pattern, 'utf8').toString('latin1');

const DIRECTION: Record<string, number> = { reverse: 0, forward: 1 };

class Compiler {
  values: unknown[] = [];
  usesUsage = false;
  constructor(
    readonly t: string,
    readonly offset: number,
  ) {}

  param(v: unknown): string {
    this.values.push(v);
    return `$${this.offset + this.values.length}`;
  }

  usage(cond: (u: string) => string): string {
    this.usesUsage = true;
    return `EXISTS (SELECT 1 FROM ${USAGE_TABLE} fu WHERE fu.trace_id = ${this.t}.trace_id AND ${cond('fu')})`;
  }

  node(n: FilterNode): string {
    const t = this.t;
    switch (n.kind) {
      case 'and':
        return `(${n.items.map((i) => this.node(i)).join(' AND ')})`;
      case 'or':
        return `(${n.items.map((i) => this.node(i)).join(' OR ')})`;
      case 'not':
        // A condition on a NULL column is NULL, and NOT NULL is not true: coalesce so `!~c 200` keeps rows without a status.
        return `(NOT coalesce(${this.node(n.item)}, false))`;
      case 'flag':
        return this.flag(n.code);
      case 'word':
        if (n.code === 'session') return `${t}.session_id = ${this.param(n.value)}`;
        if (n.code === 'dir') return `${t}.proxy_direction = ${this.param(DIRECTION[n.value])}`;
        return `${t}.traffic_type = ${this.param(n.value)}`;
      case 'number': {
        const v = this.param(n.value);
        if (n.code === 'c') return `${t}.status_code = ${v}`;
        if (n.code === 'ms') return `${t}.duration_ms ${n.op} ${v}`;
        if (n.code === 'cost') return this.usage((u) => `${u}.cost_usd ${n.op} ${v}`);
        // A sum of integer columns: the value as numeric, so that `>1.5` or a number past 2^31 compares rather than fails.
        return this.usage((u) => `${TOTAL_TOKENS_SQL(u)} ${n.op} ${v}::numeric`);
      }
      case 'regex':
        return this.regex(n.code, n.pattern);
    }
  }

  flag(code: string): string {
    const t = this.t;
    switch (code) {
      case 'e':
        return `(${t}.error_type IS NOT NULL OR ${t}.error_message IS NOT NULL)`;
      case 'q':
        return `${t}.status_code IS NULL`;
      case 's':
        return `${t}.status_code IS NOT NULL`;
      case 'websocket':
        return `${t}.status_code = 101`;
      default:
        // ~all, ~http: every stored exchange is an HTTP one.
        return 'true';
    }
  }

  regex(code: string, pattern: string): string {
    const t = this.t;
    const re = (expr: string, p = pattern) => `${expr} ~* ${this.param(p)}`;
    switch (code) {
      case 'u':
        return re(`${t}.url`);
      case 'd':
        return `(${re(`${t}.host`)} OR ${re(`(${t}.request_headers ->> 'host')`)})`;
      case 'm':
        return re(`${t}.method`);
      case 'src':
        return re(`${t}.client_ip`);
      case 'dst':
        return re(`${t}.server_ip`);
      case 't':
        return `(${re(`${t}.request_content_type`)} OR ${re(`${t}.response_content_type`)})`;
      case 'tq':
        return re(`${t}.request_content_type`);
      case 'ts':
        return re(`${t}.response_content_type`);
      case 'h':
        return `(${re(headerText(`${t}.request_headers`), `(?n)${pattern}`)} OR ${re(headerText(`${t}.response_headers`), `(?n)${pattern}`)})`;
      case 'hq':
        return re(headerText(`${t}.request_headers`), `(?n)${pattern}`);
      case 'hs':
        return `(${t}.status_code IS NOT NULL AND ${re(headerText(`${t}.response_headers`), `(?n)${pattern}`)})`;
      case 'b':
        return `(${re(bodyText(`${t}.request_body`), asLatin1(pattern))} OR ${re(bodyText(`${t}.response_body`), asLatin1(pattern))} OR ${this.wsBody(null, pattern)})`;
      case 'bq':
        return `(${re(bodyText(`${t}.request_body`), asLatin1(pattern))} OR ${this.wsBody(0, pattern)})`;
      case 'bs':
        return `(${re(bodyText(`${t}.response_body`), asLatin1(pattern))} OR ${this.wsBody(1, pattern)})`;
      case 'model':
        return this.usage((u) => `(${re(`${u}.served_model`)} OR ${re(`${u}.requested_model`)})`);
      case 'tool':
        return this.usage((u) => `EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(${u}.tool_calls) = 'array' THEN ${u}.tool_calls ELSE '[]'::jsonb END) tc(name) WHERE ${re('tc.name')})`);
      default:
        throw new Error(`no SQL for ~${code}`);
    }
  }

  /** WebSocket messages of an upgraded exchange, as mitmproxy's body operators search them (0: from the client). */
  wsBody(direction: 0 | 1 | null, pattern: string): string {
    const t = this.t;
    const dir = direction === null ? '' : ` AND m.direction = ${direction}`;
    return `(${t}.status_code = 101 AND EXISTS (SELECT 1 FROM ${WS_TABLE} m WHERE m.trace_id = ${t}.trace_id${dir} AND convert_from(m.payload, 'LATIN1') ~* ${this.param(asLatin1(pattern))}))`;
  }
}

/** Checks each regex as JavaScript reads it, so a broken one is reported at its column before any query runs. */
function checkRegexes(n: FilterNode, text: string): void {
  if (n.kind === 'and' || n.kind === 'or') n.items.forEach((i) => checkRegexes(i, text));
  else if (n.kind === 'not') checkRegexes(n.item, text);
  else if (n.kind === 'regex') {
    try {
      new RegExp(n.pattern);
    } catch (err) {
      throw new FilterSyntaxError(`bad regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`, text, n.at);
    }
  }
}

/** The expression as SQL; throws FilterError (a UserError, exit code 2) when it does not parse. */
export function compileFilter(text: string, opts: CompileOptions = {}): CompiledFilter {
  let tree: FilterNode;
  try {
    tree = parseFilter(text);
    checkRegexes(tree, text);
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw new FilterError(err.message, err.at);
    throw err;
  }
  const c = new Compiler(opts.alias ?? 't', opts.paramOffset ?? 0);
  const where = c.node(tree);
  return { where, values: c.values, usesUsage: c.usesUsage };
}

/** The trace table, for callers composing `FROM ${TRACES} t WHERE ${where}`. */
export const TRACES = TABLE;
