// Traffic classification as the spec's flow has it: llm patterns (with llm_hosts and the known LLM API paths),
// then mcp, then localhost = other, else web.
import { unbracket } from '../host-name.js';

const LLM_PATTERNS = ['api.anthropic.com', 'api.openai.com', 'generativelanguage.googleapis.com', 'api.cohere.ai', 'bedrock', 'azure.com/openai'];

/** LLM API paths: they make the reverse side (whose host is the local gateway) llm too. */
const LLM_PATHS = [/^\/v1\/messages(\/count_tokens)?\/?(\?|$)/, /^\/v1\/chat\/completions\/?(\?|$)/, /^\/v1\/responses(\/|\?|$)/, /^\/v1\/embeddings\/?(\?|$)/, /:(stream)?[gG]enerateContent(\?|$)/];

export type TrafficType = 'llm' | 'mcp' | 'web' | 'other';

export function isLocalhost(host: string): boolean {
  const h = unbracket(host).toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || /^127\./.test(h) || h === '::1' || h === '0:0:0:0:0:0:0:1';
}

export function classify(host: string, path: string, llmHosts: readonly string[] = []): TrafficType {
  const h = host.toLowerCase();
  const hostPath = `${h}${path.toLowerCase()}`;
  if (LLM_PATTERNS.some((p) => hostPath.includes(p)) || llmHosts.some((p) => hostPath.includes(p.toLowerCase()))) return 'llm';
  if (LLM_PATHS.some((re) => re.test(path))) return 'llm';
  if (h.includes('mcp') || path.toLowerCase().includes('mcp')) return 'mcp';
  if (isLocalhost(h)) return 'other';
  return 'web';
}
