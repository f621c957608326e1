// Gemini signs its function calls (`thoughtSignature`) and wants the signature back with the call in the next
// request; Anthropic clients keep nothing but the tool_use block. The signature rides in the tool id, which every
// client sends back unchanged: `toolu_<call>~<signature>`.
import { newToolId } from './anthropic.js';

const SEP = '~';

export function joinToolId(callId: string | undefined, signature: string | undefined): string {
  const id = callId ? (callId.startsWith('toolu_') ? callId : `toolu_${callId}`) : newToolId();
  return signature ? `${id}${SEP}${signature}` : id;
}

export function splitToolId(id: string): { callId: string; signature: string | undefined } {
  const at = id.indexOf(SEP);
  const head = at < 0 ? id : id.slice(0, at);
  return { callId: head.replace(/^toolu_/, ''), signature: at < 0 ? undefined : id.slice(at + 1) };
}
