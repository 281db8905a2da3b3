import { z } from 'zod';

const count = z.number().optional().catch(undefined);

/** Gemini's `usageMetadata`, permissive. `promptTokenCount` includes cached tokens. */
export const geminiUsageSchema = z.object({
  promptTokenCount: count,
  candidatesTokenCount: count,
  cachedContentTokenCount: count,
  thoughtsTokenCount: count,
  toolUsePromptTokenCount: count,
});

/** A GenerateContentResponse (a whole reply, or one chunk of a stream). */
export const geminiReplySchema = z.object({
  modelVersion: z.string().optional().catch(undefined),
  usageMetadata: geminiUsageSchema.optional().catch(undefined),
});
