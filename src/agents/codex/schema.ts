/**
 * `codex exec --json` lines, as far as Baton reads them. Permissive: unknown fields are ignored,
 * and a line that does not fit is skipped, not an error.
 */
import { z } from 'zod';

export const codexLineSchema = z.object({ type: z.string() });

/** `item.started` / `item.updated` / `item.completed`: the item, told apart by `item.type`. */
export const codexItemLineSchema = z.object({
  item: z.object({ id: z.string().nullish(), type: z.string() }).loose(),
});

export const codexCommandItemSchema = z.object({
  command: z.string(),
  exit_code: z.number().nullish(),
  status: z.string().nullish(),
});

export const codexFileChangeItemSchema = z.object({
  changes: z.array(z.object({ path: z.string(), kind: z.string().nullish() })),
  status: z.string().nullish(),
});

export const codexTextItemSchema = z.object({ text: z.string() });

export const codexErrorItemSchema = z.object({ message: z.string() });

export const codexMcpToolCallItemSchema = z.object({
  server: z.string().nullish(),
  tool: z.string().nullish(),
  status: z.string().nullish(),
});

export const codexWebSearchItemSchema = z.object({ query: z.string().nullish() });

const count = z.number().nonnegative().nullish();

export const codexTurnCompletedSchema = z.object({
  usage: z
    .object({
      input_tokens: count,
      cached_input_tokens: count,
      cache_write_input_tokens: count,
      output_tokens: count,
    })
    .nullish(),
});

export const codexTurnFailedSchema = z.object({
  error: z.object({ message: z.string() }).nullish(),
});

export const codexErrorLineSchema = z.object({ message: z.string() });
