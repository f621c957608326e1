// Flows of LLM API exchanges for the usage tests, built in one line (mitmproxy's tflow): a request and a response
// with the bodies given as objects (sent as JSON), text, or a fixture file's bytes from test/fixtures/usage.
import { readFileSync } from 'node:fs';
import type { Flow } from '../../src/flow/flow.js';

const FIXTURES = new URL('../../../test/fixtures/usage/', import.meta.url);

/** A fixture's bytes, exactly as stored in the file. */
export function fixture(name: string): Buffer {
  return readFileSync(new URL(name, FIXTURES));
}

type Body = Uint8Array | string | object | null;

export interface LlmFlowOptions {
  method?: string;
  path: string;
  host?: string;
  request?: Body;
  status?: number;
  response?: Body;
  contentType?: string;
  responseHeaders?: Record<string, unknown>;
  start?: number;
  end?: number;
  responseTruncated?: boolean;
  noResponse?: boolean;
}

function bytes(b: Body | undefined): Uint8Array | null {
  if (b === null || b === undefined) return null;
  if (b instanceof Uint8Array) return b;
  return Buffer.from(typeof b === 'string' ? b : JSON.stringify(b));
}

export function llmFlow(o: LlmFlowOptions): Flow {
  const req = bytes(o.request);
  const res = bytes(o.response);
  const host = o.host ?? 'api.anthropic.com';
  const contentType = o.contentType ?? 'application/json';
  return {
    id: 'trace-test',
    direction: 'forward',
    sessionId: null,
    trafficType: 'llm',
    client: { address: '127.0.0.1', port: 50000 },
    server: { address: '127.0.0.1', port: 443, https: true },
    request: {
      method: o.method ?? 'POST',
      url: `https://${host}${o.path}`,
      originalUrl: null,
      host,
      path: o.path,
      headers: { 'content-type': 'application/json' },
      body: req,
      bodySize: req?.length ?? 0,
      bodyTruncated: false,
      contentType: 'application/json',
    },
    response: o.noResponse
      ? null
      : {
          status: o.status ?? 200,
          headers: { 'content-type': contentType, ...(o.responseHeaders ?? {}) },
          body: res,
          bodySize: res?.length ?? 0,
          bodyTruncated: o.responseTruncated ?? false,
          contentType,
        },
    error: o.noResponse ? { type: 'upstream_error', message: 'connection reset' } : null,
    timing: { start: o.start ?? null, end: o.end ?? null },
    metadata: {},
  };
}
