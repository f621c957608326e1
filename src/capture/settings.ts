// What a capture point's stages read from ccproxy.mitm, for one direction: body limits, redaction, LLM hosts; and
// the price book the usage stage prices calls with.
import type { Direction } from '../flow/flow.js';
import type { PriceBook } from '../usage/prices.js';

/** The most body bytes kept per direction when max_body_size is 0 ("unlimited"): the full size is still recorded. */
export const BODY_CEILING = 64 * 1024 * 1024;

export interface CaptureSettings {
  direction: Direction;
  /** Bytes of each body to keep (max_body_size, or BODY_CEILING for 0). */
  bodyLimit: number;
  captureBodies: boolean;
  redact: boolean;
  redactHeaders: string[];
  llmHosts: string[];
  /** Whether the usage stage reads LLM calls as they are captured (ccproxy.mitm.usage). */
  usage?: boolean;
  /** Prices for the usage stage (the bundled table with ccproxy.prices over it); the bundled table alone when absent. */
  priceBook?: PriceBook;
}

export function bodyLimit(maxBodySize: number): number {
  return maxBodySize > 0 ? Math.min(maxBodySize, BODY_CEILING) : BODY_CEILING;
}
