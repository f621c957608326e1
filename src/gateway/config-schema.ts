// The shape of LiteLLM's config.yaml as the gateway reads it (model_list entries and their litellm_params), in
// zod: what a file must hold, with the messages a user sees when it does not.
import { z } from 'zod';

/** How config.yaml names an environment variable instead of a literal value (LiteLLM's spelling). */
export const ENV_PREFIX = 'os.environ/';

const httpUrl = z.string().refine(
  (s) => {
    try {
      return ['http:', 'https:'].includes(new URL(s).protocol);
    } catch {
      return false;
    }
  },
  { message: 'expected an http:// or https:// URL' },
);

const modelEntrySchema = z
  .object({
    model_name: z.string().min(1),
    // LiteLLM reads a deployment's limits here too (litellm_params' win).
    rpm: z.number().int().positive().optional(),
    tpm: z.number().int().positive().optional(),
    // LiteLLM takes many more parameters; the ones ccproxy does not implement are named in one warning at start
    // (router/unimplemented.ts).
    litellm_params: z
      .object({
        model: z.string().min(1),
        api_base: httpUrl.optional(),
        api_key: z.string().min(1).optional(),
        extra_headers: z.record(z.string(), z.string()).optional(),
        // The router's (router/*): a share of the group's traffic, a priority, limits per minute, timeouts.
        weight: z.number().positive().optional(),
        order: z.number().int().optional(),
        rpm: z.number().int().positive().optional(),
        tpm: z.number().int().positive().optional(),
        timeout: z.number().positive().optional(),
        stream_timeout: z.number().positive().optional(),
      }, { error: (iss) => (iss.input === undefined ? 'missing: every model_list entry needs litellm_params, a mapping with model: provider/name' : 'expected a mapping with model: provider/name (and api_base, api_key, extra_headers)') })
      .loose(),
  })
  .loose();

export const modelsFileSchema = z
  .object({
    model_list: z.array(modelEntrySchema).nullable().default([]).transform((m) => m ?? []),
  })
  .loose();
