import { z } from 'zod';

/** A count that is read when it is a number and ignored otherwise: replies are third-party data. */
const count = z.number().optional().catch(undefined);

/** Anthropic's `usage` object (Messages API), permissive: only the fields the gateway meters. */
export const anthropicUsageSchema = z.object({
  input_tokens: count,
  output_tokens: count,
  cache_creation_input_tokens: count,
  cache_read_input_tokens: count,
});

export type AnthropicUsage = z.infer<typeof anthropicUsageSchema>;

const model = z.string().optional().catch(undefined);
const usage = anthropicUsageSchema.optional().catch(undefined);

/** A whole Message (non-streamed reply). */
export const anthropicMessageSchema = z.object({ model, usage });

/** `message_start` and `message_delta` stream events; others are not parsed. */
export const anthropicStreamEventSchema = z.object({
  type: z.string().optional().catch(undefined),
  message: anthropicMessageSchema.optional().catch(undefined),
  usage,
});
