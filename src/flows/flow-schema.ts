import { z } from 'zod';
import {
  agentAliases,
  agentNames,
  type AgentName,
  type IdTokenDefinition,
} from './flow-definition.ts';

const agentAliasNames = Object.keys(agentAliases) as (keyof typeof agentAliases)[];

function isAgentAlias(name: string): name is keyof typeof agentAliases {
  return Object.hasOwn(agentAliases, name);
}
import { parseTimeout } from './parse-timeout.ts';

/**
 * zod schemas for both flow forms. Messages are written to follow "value at `/path` " (see
 * describe-flow-issue.ts), matching the wording of GitLab's own schema errors.
 */

export const flowLimits = {
  /** GitLab's AI Catalog rejects definitions over 64 KiB; a repository file gets the same cap. */
  maxFlowBytes: 65_536,
  /** GitLab's limit for `image` in agent-config.yml. */
  maxImageLength: 512,
  /** GitLab keeps at most 20 `id_tokens` entries. */
  maxIdTokens: 20,
  minTimeoutSeconds: 60,
  /** GitLab runs every workload with a fixed 2 h job timeout; Baton does not promise more. */
  maxTimeoutSeconds: 7_200,
  maxTurns: 1_000,
  maxInstructionsLength: 16_384,
  maxModelLength: 200,
} as const;

export const gitLabFlowKeys = [
  'image',
  'commands',
  'variables',
  'injectGatewayToken',
  'id_tokens',
  'report_artifacts',
] as const;

export const nativeFlowKeys = [
  'agent',
  'model',
  'max_turns',
  'allowed_tools',
  'instructions',
  'timeout',
  'variables',
  'image',
  'commands',
] as const;

/** Run a cross-field check even when a field already failed, so one pass reports everything. */
const alwaysCheck = { when: () => true };

const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Names Baton sets itself for every run; a listed variable must not shadow them. */
const reservedNames = new Set([
  'CI_WORKLOAD_REF',
  'GIT_AUTHOR_NAME',
  'GIT_AUTHOR_EMAIL',
  'GIT_COMMITTER_NAME',
  'GIT_COMMITTER_EMAIL',
]);

function isReservedName(name: string): boolean {
  return name.startsWith('AI_FLOW_') || reservedNames.has(name);
}

const invalidEnvNameMessage =
  'is not a valid environment variable name; use letters, digits and `_`, not starting with a digit';

const reservedNameMessage =
  'is a name Baton sets for every run (AI_FLOW_*, CI_WORKLOAD_REF, GIT_*); choose another name';

const envNameSchema = z
  .string()
  .regex(envNamePattern, { error: invalidEnvNameMessage })
  .refine((name) => !isReservedName(name), { error: reservedNameMessage });

const variablesSchema = z
  .array(envNameSchema)
  .transform((names) => [...new Set(names)])
  .default([]);

const imageSchema = z
  .string()
  .refine((image) => image.trim() !== '', {
    error: 'is empty; name a container image such as node:22-slim',
  })
  .refine((image) => image.length <= flowLimits.maxImageLength, {
    error: `is longer than ${flowLimits.maxImageLength} characters`,
  })
  .refine((image) => !/[\s\p{Cc}]/u.test(image), {
    error:
      'contains whitespace or control characters; an image reference is one word such as node:22-slim',
  });

const commandSchema = z
  .string()
  .refine((command) => command.trim() !== '', {
    error: 'is an empty command; remove it or write the shell line',
  })
  .refine((command) => !command.includes('\0'), { error: 'contains a NUL character' });

const commandsSchema = z
  .array(commandSchema)
  .min(1, { error: 'is empty; list at least one shell command' });

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function isAudience(value: unknown): value is IdTokenDefinition['aud'] {
  return (
    isNonEmptyString(value) ||
    (Array.isArray(value) && value.length > 0 && value.every(isNonEmptyString))
  );
}

const idTokensSchema = z
  .record(z.string(), z.strictObject({ aud: z.unknown() }))
  .superRefine((tokens, ctx) => {
    const names = Object.keys(tokens);
    for (const name of names) {
      if (!isAudience(tokens[name]?.aud)) {
        ctx.addIssue({
          code: 'custom',
          path: [name, 'aud'],
          message: 'is not a non-empty string or a non-empty array of non-empty strings',
        });
      }
      if (!envNamePattern.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: invalidEnvNameMessage,
          params: { at: 'name' },
        });
      } else if (isReservedName(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: reservedNameMessage,
          params: { at: 'name' },
        });
      }
    }
    if (names.length > flowLimits.maxIdTokens) {
      ctx.addIssue({
        code: 'custom',
        message: `has ${names.length} entries; GitLab allows at most ${flowLimits.maxIdTokens}`,
      });
    }
  }, alwaysCheck)
  .transform((tokens) => tokens as Record<string, IdTokenDefinition>)
  .default({});

const reportArtifactsSchema = z.record(z.string(), z.unknown());

/** GitLab's format (all three generations: a later key is simply absent from an older file). */
export const gitLabFlowSchema = z.strictObject({
  image: imageSchema,
  commands: commandsSchema,
  variables: variablesSchema,
  injectGatewayToken: z.boolean().default(false),
  id_tokens: idTokensSchema,
  report_artifacts: reportArtifactsSchema.optional(),
});

const timeoutSchema = z.unknown().transform((value, ctx) => {
  const seconds = parseTimeout(value);
  if (seconds === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'is not a duration; write seconds (600) or units such as 30m, 1h or 1h 30m',
    });
    return z.NEVER;
  }
  if (seconds < flowLimits.minTimeoutSeconds || seconds > flowLimits.maxTimeoutSeconds) {
    ctx.addIssue({
      code: 'custom',
      message: `is out of range (${seconds} s); allowed from 1 minute to 2 hours`,
    });
    return z.NEVER;
  }
  return seconds;
});

const toolSchema = z
  .string()
  .refine((tool) => tool.trim() !== '', { error: 'is an empty tool name' });

/** Baton's native form: a built-in agent and its options. */
export const nativeFlowSchema = z
  .strictObject({
    agent: z
      .enum([...agentNames, ...agentAliasNames], {
        error: `is not a known agent; use one of ${agentNames.join(', ')}`,
      })
      .transform((name): AgentName => (isAgentAlias(name) ? agentAliases[name] : name)),
    model: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/, {
        error:
          'is not a model name (letters, digits and . _ : / @ -), for example claude-sonnet-4-5',
      })
      .max(flowLimits.maxModelLength, {
        error: `is longer than ${flowLimits.maxModelLength} characters`,
      })
      .optional(),
    max_turns: z
      .int({ error: 'is not an integer' })
      .min(1, { error: 'must be at least 1' })
      .max(flowLimits.maxTurns, { error: `must be at most ${flowLimits.maxTurns}` })
      .optional(),
    allowed_tools: z.array(toolSchema).optional(),
    instructions: z
      .string()
      .refine((text) => text.trim() !== '', {
        error: 'is empty; remove the key or write the instructions',
      })
      .refine((text) => text.length <= flowLimits.maxInstructionsLength, {
        error: `is longer than ${flowLimits.maxInstructionsLength} characters`,
      })
      .optional(),
    timeout: timeoutSchema.optional(),
    variables: variablesSchema,
    image: imageSchema.optional(),
    commands: commandsSchema.optional(),
  })
  .superRefine((flow, ctx) => {
    if (flow.agent === 'custom' && flow.commands === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          'is missing required properties: commands (`agent: custom` runs your own shell commands)',
        params: { at: 'root' },
      });
    }
    if (flow.agent !== 'custom' && flow.commands !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['commands'],
        message: `is only allowed with \`agent: custom\`; Baton starts \`${flow.agent}\` itself, so remove \`commands\` (or drop \`agent\` to write a GitLab-format flow)`,
        params: { at: 'key' },
      });
    }
  }, alwaysCheck);
