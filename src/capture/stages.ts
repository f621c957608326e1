// The capture stages, in the order they run at each hook. A new stage is one file in stages/ and one line here.
// Order matters where stages read each other's work: the session stage reads the body `decode` produced,
// before `redact` cleans it; `usage` reads the decoded response body (it needs no secret) after the others.
import type { Stage } from './stage.js';
import { classifyStage } from './stages/classify.js';
import { decodeStage } from './stages/decode.js';
import { redactStage } from './stages/redact.js';
import { sessionStage } from './stages/session.js';
import { usageStage } from './stages/usage.js';

export const STAGES: readonly Stage[] = [
  classifyStage, // requestHeaders: traffic type
  decodeStage, // requestBody, responseEnd: bodies decompressed and bounded
  sessionStage, // requestHeaders, requestBody: session id
  redactStage, // every hook: credentials fingerprinted (it cleans what the others read)
  usageStage, // responseEnd: the LLM call's tokens, cost and quota (reads stored headers and decoded bodies)
];
