// The shapes of the viewer's JSON API, taken from the server modules that produce them (type-only: nothing of the
// server reaches the page's bundle), so a change to the API breaks the page's type check rather than the page.

export type { TokenCounts, SessionSummary, SessionPage } from '../../src/web/sessions.js';
export type { ExchangeLine, Exchange, ExchangePage } from '../../src/web/exchanges.js';
export type { TraceSummary } from '../../src/read/traces.js';
export type { TracePage } from '../../src/web/trace-list.js';
export type { BodyView, TraceDetail } from '../../src/web/trace-detail.js';
export type { ToolCall } from '../../src/read/assemble.js';
export type { QuotaPoint, QuotaReport } from '../../src/web/quota.js';
export type { QuotaWindow } from '../../src/usage/quota.js';
export type { ToolResultView, BashView, EditView, ConversationItem } from '../../src/view/conversation.js';
export type { Thread, CallMark } from '../../src/view/roles.js';
export type { JsonChange } from '../../src/view/json-diff.js';
export type { BlockRef, RequestStep } from '../../src/view/cache-diff.js';
export type { CacheMiss } from '../../src/view/cache-miss.js';
export type { HeaderChange, PairDiff } from '../../src/view/pair-diff.js';
export type { Health } from '../../src/web/api.js';

import type { CacheReport as CacheView } from '../../src/view/cache-diff.js';
import type { Conversation as ConversationView } from '../../src/view/conversation.js';
import type { Roles as RolesView } from '../../src/view/roles.js';

/** A session view as served: with `capped` when not every exchange of the session was read (src/web/session-views.ts). */
type Served<T> = T & { capped: boolean };
export type Conversation = Served<ConversationView>;
export type Roles = Served<RolesView>;
export type CacheReport = Served<CacheView>;
