// The shapes of the viewer's JSON API (src/web/*.ts and src/view/*.ts on the server), as the page reads them.

export interface TokenCounts {
  input: number;
  output: number;
  cache_read: number;
  cache_write_5m: number;
  cache_write_1h: number;
  total: number;
}

export interface SessionSummary {
  session_id: string;
  client: string | null;
  first_time: string;
  last_time: string;
  requests: number;
  traces: number;
  llm_calls: number;
  models: string[];
  tokens: TokenCounts;
  cost_usd: number | null;
  unpriced: number;
  cache_hit_rate: number | null;
  errors: number;
  duration_ms: number;
}

export interface SessionPage {
  sessions: SessionSummary[];
  next: string | null;
}

export interface ExchangeLine {
  trace_id: string;
  start_time: string | null;
  direction: 'reverse' | 'forward';
  method: string | null;
  url: string | null;
  host: string | null;
  path: string | null;
  status_code: number | null;
  error_type: string | null;
  duration_ms: number | null;
  ttfb_ms: number | null;
  requested_model: string | null;
  served_model: string | null;
  tokens: TokenCounts | null;
  cost_usd: number | null;
  flags: string[];
}

export interface Exchange {
  client: ExchangeLine | null;
  provider: ExchangeLine[];
  flags: string[];
}

export interface ExchangePage {
  session_id: string;
  exchanges: Exchange[];
  next: string | null;
}

export interface TraceSummary {
  trace_id: string;
  start_time: string | null;
  direction: 'reverse' | 'forward';
  method: string | null;
  host: string | null;
  path: string | null;
  status_code: number | null;
  error_type: string | null;
  duration_ms: number | null;
  traffic_type: string | null;
  session_id: string | null;
  model: string | null;
  tokens: number | null;
  cost_usd: number | null;
}

export interface TracePage {
  traces: TraceSummary[];
  next: string | null;
}

export interface BodyView {
  stored_bytes: number;
  size: number;
  truncated: boolean;
  cut: boolean;
  encoding: 'utf8' | 'base64' | 'none';
  text: string | null;
  json: boolean;
  content_type: string | null;
  href: string;
}

export interface ToolCall {
  id?: string | null;
  name: string;
  input: unknown;
}

export interface TraceDetail {
  trace_id: string;
  direction: 'reverse' | 'forward';
  session_id: string | null;
  traffic_type: string | null;
  parent_trace_id: string | null;
  children: string[];
  request: { method: string | null; url: string | null; original_url: string | null; host: string | null; path: string | null; headers: Record<string, unknown>; body: BodyView };
  response: { status: number | null; headers: Record<string, unknown>; body: BodyView } | null;
  error: { type: string | null; message: string | null } | null;
  timings: { start: string | null; end: string | null; duration_ms: number | null; ttfb_ms: number | null; request_sent_ms: number | null; dns_ms: number | null; connect_ms: number | null; tls_ms: number | null; chunk_ms: number[] | null; chunk_count: number | null };
  sse: { events: { event: string | null; data: string; time_ms: number | null }[]; count: number; cut: boolean; stream_cut: boolean } | null;
  message: { api: string; text: string; thinking: string; toolCalls: ToolCall[]; stopReason: string | null } | null;
  usage: Record<string, unknown> | null;
  calls: Record<string, unknown>[];
  quota: Record<string, unknown> | null;
  curl: { command: string | null; notes: string[] } | null;
  websocket: { seq: number; direction: 'client' | 'server'; at: string; opcode: number; size: number; encoding: 'utf8' | 'base64'; data: string | null; truncated: boolean }[] | null;
}

export interface QuotaWindow {
  utilization: number | null;
  reset: string | null;
  status: string | null;
}

export interface QuotaPoint {
  time: string;
  trace_id: string;
  session_id: string | null;
  status: string | null;
  five_hour: QuotaWindow;
  seven_day: QuotaWindow;
}

export interface QuotaReport {
  since: string;
  until: string;
  points: QuotaPoint[];
  latest: QuotaPoint | null;
  sessions: { session_id: string | null; calls: number; cost_usd: number | null; share: number }[];
}

export interface Health {
  ok: boolean;
  database: { up: boolean; backend: string };
}

// The conversation of a session (src/view/conversation.ts).
export interface ToolResultView {
  traceId: string;
  text: string;
  isError: boolean | null;
  length: number;
  lines: number;
  foldable: boolean;
}
export interface BashView {
  kind: 'bash';
  command: string;
  description: string | null;
  output: string | null;
  exitCode: number | null;
  isError: boolean | null;
}
export interface EditView {
  kind: 'edit';
  path: string | null;
  diff: string;
  added: number;
  removed: number;
  wholeFile: boolean;
}
interface ItemBase {
  traceId: string;
  source: 'request' | 'response';
}
export type ConversationItem =
  | (ItemBase & { kind: 'user' | 'system' | 'assistant'; text: string })
  | (ItemBase & { kind: 'thinking'; text: string; redacted: boolean })
  | (ItemBase & { kind: 'tool_call'; id: string | null; name: string; input: unknown; result: ToolResultView | null; view: BashView | EditView | null; subagentThreadId: string | null })
  | (ItemBase & { kind: 'tool_result'; id: string | null; result: ToolResultView })
  | (ItemBase & { kind: 'attachment'; role: string; what: string; mediaType: string | null });

export interface Thread {
  id: string;
  kind: 'main' | 'subagent' | 'side';
  callIds: string[];
  model: string | null;
  tools: string[];
  signature: string;
  firstPrompt: string | null;
  startedBy: { traceId: string; toolUseId: string | null; toolName: string; description: string | null; matchedBy: string } | null;
}

export interface Conversation {
  threadId: string | null;
  api: string | null;
  model: string | null;
  historyTraceId: string | null;
  system: string;
  tools: string[];
  items: ConversationItem[];
  threads: Thread[];
  notes: string[];
  /** Not every LLM exchange of the session was read (the newest were, within the server's budget). */
  capped?: boolean;
}

// Adjacent requests and the pairs of both ends (src/view/cache-diff.ts, pair-diff.ts, roles.ts).
export interface JsonChange {
  path: string;
  kind: string;
  before?: unknown;
  after?: unknown;
}
export interface BlockRef {
  section: 'tools' | 'system' | 'messages';
  index: number;
  block: number | null;
  path: string;
  label: string;
}
export interface CacheMiss {
  cause: 'ttl_expired' | 'prefix_changed' | 'model_changed' | 'unexplained';
  explanation: string;
  expectedReadTokens: number;
  readTokens: number;
  missedTokens: number;
  brokeAt: BlockRef | null;
  ttl: '5m' | '1h' | null;
  ttlExpired: boolean;
  gapMs: number | null;
  cost: { usd: number; tokens: number; paidRate: number; readRate: number; paidAs: string; priceEntry: string } | null;
  costNote: string | null;
}
export interface RequestStep {
  traceId: string;
  previousTraceId: string | null;
  threadId: string;
  gapMs: number | null;
  changes: { tools: JsonChange[]; system: JsonChange[]; messages: JsonChange[]; params: JsonChange[] };
  truncated: boolean;
  firstDifference: BlockRef | null;
  breakpoints: (BlockRef & { ttl: '5m' | '1h' })[];
  usage: Record<string, number> | null;
  miss: CacheMiss | null;
}
export interface CacheReport {
  steps: RequestStep[];
  misses: number;
  missCostUsd: number;
  notes: string[];
  capped?: boolean;
}
export interface HeaderChange {
  name: string;
  kind: string;
  before: string | null;
  after: string | null;
  transport: boolean;
}
export interface PairDiff {
  reverseTraceId: string;
  forwardTraceId: string;
  linked: boolean;
  method: { before: string | null; after: string | null; changed: boolean };
  url: { before: string | null; after: string | null; changed: boolean; hostChanged: boolean; pathChanged: boolean };
  api: { before: string | null; after: string | null };
  model: { before: string | null; after: string | null; changed: boolean };
  headers: HeaderChange[];
  body: { same: boolean; changes: JsonChange[] | null; truncated: boolean; beforeBytes: number; afterBytes: number };
  notes: string[];
}
export interface CallMark {
  traceId: string;
  forwardTraceIds: string[];
  role: 'main' | 'subagent' | 'side';
  threadId: string;
  sideKinds: string[];
  reasons: string[];
  api: string | null;
  model: string | null;
  start: number | null;
  toolCount: number;
  messageCount: number;
}
export interface Roles {
  calls: CallMark[];
  threads: Thread[];
  mainThreadId: string | null;
  notes: string[];
}
