// Provider paths the gateway cannot route by model (`/v1/files`, `/v1/batches`, `/v1/messages/batches`,
// `/v1/responses/{id}`, Gemini's `/v1beta/files`, …) go to the provider whose API the path belongs to — the first
// usable deployment of that format in config.yaml — with any method and the body streaming both ways, rather than
// a 404. The deployment's credentials and headers apply as for routed requests; rules do not (there is no model).
import type http from 'node:http';
import { endToEnd } from '../proxy/hop.js';
import type { Deployment, ModelTable } from './config.js';
import { applyCredentials, CredentialError } from './credentials.js';
import { stripMasterKey, type GatewayParts } from './dispatch.js';
import { passThroughPath } from './endpoints.js';
import { lowerKeys, sendError } from './http-io.js';
import { moveGeminiKey } from './gemini.js';
import { FORMAT_NAMES, type ApiFormat } from './providers.js';
import { forward } from './relay.js';

const ANTHROPIC_VERSION = '2023-06-01';

/** The first deployment of config.yaml (in file order, aliases followed) that speaks `format` and can be called. */
export function firstDeployment(models: ModelTable, format: ApiFormat): Deployment | null {
  for (const name of models.names) {
    const d = models.resolve(name);
    if (d && d.format === format && !d.unusable && d.apiBase) return d;
  }
  return null;
}

export async function passThrough(p: GatewayParts, req: http.IncomingMessage, res: http.ServerResponse, format: ApiFormat, path: string, query: string): Promise<void> {
  const method = req.method ?? 'GET';
  const d = firstDeployment(p.state.models, format);
  if (!d) {
    req.resume();
    return sendError(res, 404, 'not_found_error', `${method} ${path} belongs to the ${FORMAT_NAMES[format]} API, but ${p.state.models.file} has no ${FORMAT_NAMES[format]}-format deployment to pass it to`);
  }
  const headers = endToEnd(req.headers) as Record<string, string | string[]>;
  for (const h of ['host', 'expect']) delete headers[h];
  stripMasterKey(p, headers);
  const q = format === 'gemini' ? moveGeminiKey(query, headers) : query;
  // The forward_* hooks say which client credentials may go through; without a model the other hooks do not run.
  const names = new Set(p.hooks.map((h) => h.name));
  const policy = { oauth: names.has('ccproxy.hooks.forward_oauth'), apiKey: names.has('ccproxy.hooks.forward_apikey') };
  let choice;
  try {
    choice = await applyCredentials(headers, d, policy, p.oat, p.env);
  } catch (err) {
    req.resume();
    if (err instanceof CredentialError) return sendError(res, 502, 'proxy_error', err.message, { error_type: 'credential_failed', deployment: d.name });
    throw err;
  }
  Object.assign(headers, lowerKeys(d.extraHeaders));
  if (format === 'anthropic' && !headers['anthropic-version']) headers['anthropic-version'] = ANTHROPIC_VERSION;
  const upPath = passThroughPath(format, d.apiBase!.pathname, path) + q;
  const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) req.resume();
  p.log.debug(`${method} ${path}: passed through to "${d.name}" (${FORMAT_NAMES[format]}, the first such deployment) ${d.apiBase!.origin}${upPath} auth=${choice.kind}`);
  await forward(p, res, { origin: d.apiBase!.origin, path: upPath, method, headers, body: hasBody ? req : null, d, choice });
}
