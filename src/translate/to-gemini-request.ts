// An Anthropic Messages request as a Gemini generateContent body: systemInstruction, contents with `user`/`model`
// roles, tool_use as functionCall (with the thoughtSignature Gemini gave, carried in the tool id) and tool_result
// as functionResponse named after its call, tools as functionDeclarations with schemas Gemini accepts,
// toolConfig, and generationConfig (max tokens clamped, thinking as thinkingConfig kept under the limit).
import { isServerTool, systemText, toolResultImages, toolResultText, type AnthropicRequest, type Block, type TranslatedRequest } from './anthropic.js';
import { clampMaxTokens, EFFORT_BUDGET, requestedEffort } from './effort.js';
import { geminiSchema } from './gemini-schema.js';
import { splitToolId } from './gemini-ids.js';

type Part = Record<string, unknown>;

/** Models that require each replayed functionCall to carry its thoughtSignature. */
const SIGNS_CALLS = /gemini-([3-9]|\d\d)/;
const NO_SIGNATURE = 'skip_thought_signature_validator';

export function toGeminiRequest(req: AnthropicRequest): TranslatedRequest {
  const warnings: string[] = [];
  const names = new Map<string, string>();
  const contents: { role: string; parts: Part[] }[] = [];
  for (const m of req.messages ?? []) {
    const blocks: Block[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    const parts: Part[] = [];
    const after: Part[] = [];
    for (const b of blocks) {
      if (b.type === 'text' && b.text !== '') parts.push({ text: b.text });
      else if (b.type === 'image' || b.type === 'document') {
        const p = mediaPart(b);
        if (p) parts.push(p);
      } else if (b.type === 'tool_use') {
        const { callId, signature } = splitToolId(String(b.id));
        names.set(String(b.id), String(b.name));
        // Gemini 3 refuses a replayed call without its signature; one it never signed (another model's, a compacted
        // history) carries the placeholder Google documents for that case.
        const sig = signature ?? (SIGNS_CALLS.test(req.model) ? NO_SIGNATURE : undefined);
        parts.push({ functionCall: { id: callId, name: b.name, args: b.input ?? {} }, ...(sig ? { thoughtSignature: sig } : {}) });
      } else if (b.type === 'tool_result') {
        const id = String(b.tool_use_id);
        const text = toolResultText(b.content);
        parts.push({ functionResponse: { id: splitToolId(id).callId, name: names.get(id) ?? 'unknown', response: b.is_error ? { error: text } : { content: text } } });
        for (const img of toolResultImages(b.content)) {
          const p = mediaPart(img);
          if (p) after.push(p);
        }
      }
      // thinking blocks: Gemini takes its reasoning back only as signatures, which ride on the calls.
    }
    parts.push(...after);
    if (parts.length === 0) continue;
    const role = m.role === 'assistant' ? 'model' : 'user';
    const last = contents.at(-1);
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  }

  const body: Record<string, unknown> = { contents };
  const system = systemText(req.system);
  if (system) body.systemInstruction = { parts: [{ text: system }] };

  const declarations: Part[] = [];
  const dropped = new Set<string>();
  let search = false;
  for (const t of req.tools ?? []) {
    if (!isServerTool(t)) {
      // A tool without parameters has none: Gemini refuses an OBJECT with empty properties.
      const parameters = geminiSchema(t.input_schema);
      const empty = parameters.type === 'object' && Object.keys((parameters.properties as object | undefined) ?? {}).length === 0;
      declarations.push({ name: t.name, ...(t.description ? { description: t.description } : {}), ...(empty ? {} : { parameters }) });
    } else if (String(t.type).startsWith('web_search')) search = true;
    else {
      dropped.add(String(t.name));
      warnings.push(`tool "${String(t.name)}" (${String(t.type)}) is Anthropic's server tool; Gemini has none like it: left out`);
    }
  }
  // Gemini's Google Search grounding is web search's equivalent, but it does not mix with function calling.
  if (search && declarations.length > 0) {
    dropped.add('web_search');
    warnings.push('web search (Google Search grounding on Gemini) does not combine with function tools: left out');
    search = false;
  }
  if (declarations.length > 0) body.tools = [{ functionDeclarations: declarations }];
  else if (search) body.tools = [{ googleSearch: {} }];
  if (declarations.length > 0 && req.tool_choice) {
    const c = req.tool_choice;
    if (c.type === 'tool' && dropped.has(String(c.name))) warnings.push(`tool_choice named "${c.name}", which was left out: the model chooses`);
    else if (c.type === 'any') body.toolConfig = { functionCallingConfig: { mode: 'ANY' } };
    else if (c.type === 'none') body.toolConfig = { functionCallingConfig: { mode: 'NONE' } };
    else if (c.type === 'tool') body.toolConfig = { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [c.name] } };
  }

  const config: Record<string, unknown> = {};
  const max = clampMaxTokens(req.model, req.max_tokens);
  if (max !== undefined) config.maxOutputTokens = max;
  if (req.temperature !== undefined) config.temperature = req.temperature;
  if (req.top_p !== undefined) config.topP = req.top_p;
  if (req.top_k !== undefined) config.topK = req.top_k;
  if (req.stop_sequences?.length) config.stopSequences = req.stop_sequences;
  const effort = requestedEffort(req);
  if (effort) {
    let budget = req.thinking?.budget_tokens ?? EFFORT_BUDGET[effort];
    // The budget counts inside maxOutputTokens: kept below it so an answer has room.
    if (max !== undefined && budget >= max) budget = Math.max(0, max - 1);
    config.thinkingConfig = { thinkingBudget: budget, includeThoughts: true };
  }
  if (Object.keys(config).length > 0) body.generationConfig = config;
  return { body, warnings };
}

function mediaPart(b: Block): Part | null {
  const source = b.source as { type: string; media_type?: string; data?: string; url?: string } | undefined;
  if (!source) return null;
  if (source.type === 'base64') return { inlineData: { mimeType: source.media_type, data: source.data } };
  if (source.type === 'url') return { fileData: { fileUri: source.url, mimeType: b.type === 'document' ? 'application/pdf' : 'image/*' } };
  if (source.type === 'text') return { text: source.data };
  return null;
}
