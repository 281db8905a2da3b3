import { z } from 'zod';
import { featureFlags, type FeatureFlagName } from '../triggers/feature-flags.ts';
import { triggerEventTypes } from '../triggers/trigger-store.ts';

/**
 * Every shape the admin API accepts or returns. Inputs are strict (an unknown key is an error,
 * so a typo never silently does nothing); outputs are what the OpenAPI document promises, and
 * responses are parsed through them, so a field not listed here (a token, say) cannot leak.
 */

export const slug = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, {
  message: 'must be a slug: lowercase letters, digits and dashes, at most 64 characters',
});

/** A GitLab project or group full path, e.g. `demo/app`. */
export const forgePath = z
  .string()
  .max(255)
  .regex(/^[\w.-]+(?:\/[\w.-]+)*$/, {
    message: 'must be a GitLab full path such as group/project, without leading or trailing /',
  })
  .refine((value) => !value.split('/').some((part) => part === '.' || part === '..'), {
    message: 'must not contain . or .. segments',
  });

const baseUrl = z
  .string()
  .max(2048)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL' });
      return;
    }
    const problem =
      url.protocol !== 'http:' && url.protocol !== 'https:'
        ? 'must be an http(s) URL'
        : url.username !== '' || url.password !== ''
          ? 'must not contain credentials; the token is given per service account'
          : url.search !== '' || value.includes('?')
            ? 'must not contain a query string'
            : url.hash !== '' || value.includes('#')
              ? 'must not contain a fragment'
              : undefined;
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform((value) => value.replace(/\/+$/, ''));

const configPath = z
  .string()
  .min(1)
  .max(255)
  .refine((value) => !value.startsWith('/'), { message: 'must be relative to the repository' })
  .refine((value) => !value.includes('\\') && !/\p{Cc}/u.test(value), {
    message: 'must not contain backslashes or control characters',
  })
  .refine(
    (value) => !value.split('/').some((part) => part === '..' || part === '.' || part === ''),
    {
      message: 'must not contain .., . or empty segments',
    },
  );

const flowName = z
  .string()
  .min(1)
  .max(100)
  .refine((value) => value.trim() === value, { message: 'must not start or end with spaces' })
  .refine((value) => !/^\d+$/.test(value), {
    message: 'must not be all digits (a number refers to a flow by id)',
  });

export const scopeSchema = z.strictObject({
  type: z.enum(['project', 'group']),
  path: forgePath,
});

export const eventTypesSchema = z
  .array(z.enum(triggerEventTypes))
  .min(1, 'must list at least one event type');

/** A catalog flow by id (number) or by name. */
export const flowRefSchema = z.union([z.number().int().positive(), flowName]);

const flagNames = Object.keys(featureFlags) as [FeatureFlagName, ...FeatureFlagName[]];
export const flagNameSchema = z.enum(flagNames);

// Inputs

export const connectionParams = z.strictObject({ id: slug });
export const connectionBody = z.strictObject({
  url: baseUrl.describe('GitLab base URL, e.g. https://gitlab.example.com (no /api/v4)'),
  webhookSecret: z
    .string()
    .min(16, 'must be at least 16 characters')
    .max(1024)
    .describe('The secret token GitLab sends in X-Gitlab-Token'),
});

export const serviceAccountParams = z.strictObject({ id: slug, username: z.string().min(1) });
export const serviceAccountBody = z.strictObject({
  token: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^\S+$/, 'must not contain whitespace')
    .describe('Access token of the account, with the api and write_repository scopes'),
});

export const triggerParams = z.strictObject({
  id: z.string().regex(/^\d+$/, 'must be a trigger id').transform(Number),
});
const triggerFields = {
  description: z.string().min(1).max(255),
  eventTypes: eventTypesSchema,
  connection: slug,
  serviceAccount: z.string().min(1).max(255).describe('Username of a service account'),
  scope: scopeSchema,
  configPath: configPath.describe(
    'Flow file in the repository, e.g. .gitlab/duo/flows/claude.yaml',
  ),
  catalogFlow: flowRefSchema.describe('Catalog flow id or name'),
};
export const triggerCreateBody = z.strictObject({
  ...triggerFields,
  active: z.boolean().default(true),
  pushToSourceBranch: z
    .boolean()
    .default(false)
    .describe('From a merge request: push to its source branch instead of opening a new one'),
  configPath: triggerFields.configPath.optional(),
  catalogFlow: triggerFields.catalogFlow.optional(),
});
export const triggerPatchBody = z.strictObject({
  description: triggerFields.description.optional(),
  eventTypes: triggerFields.eventTypes.optional(),
  connection: triggerFields.connection.optional(),
  serviceAccount: triggerFields.serviceAccount.optional(),
  scope: triggerFields.scope.optional(),
  active: z.boolean().optional(),
  pushToSourceBranch: z.boolean().optional(),
  configPath: triggerFields.configPath.optional(),
  catalogFlow: triggerFields.catalogFlow.optional(),
});

export const flagScopeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('instance') }),
  z.strictObject({ type: z.enum(['group', 'project']), connection: slug, path: forgePath }),
]);
export const flagParams = z.strictObject({ name: flagNameSchema });
export const flagBody = z.strictObject({ scope: flagScopeSchema, enabled: z.boolean() });
export const flagUnsetQuery = z.strictObject({
  scopeType: z.enum(['instance', 'group', 'project']).default('instance'),
  connection: slug.optional(),
  path: forgePath.optional(),
});

export const catalogParams = z.strictObject({
  flow: z.string().min(1).describe('Catalog flow id or name'),
});
const catalogFields = {
  name: flowName,
  description: z.string().max(2000),
  visibility: z.enum(['private', 'public']),
  definition: z.string().min(1).max(65_536).describe('The flow, as YAML'),
};
export const catalogCreateBody = z.strictObject({
  ...catalogFields,
  description: catalogFields.description.default(''),
  visibility: catalogFields.visibility.default('private'),
});
export const catalogPatchBody = z.strictObject({
  name: catalogFields.name.optional(),
  description: catalogFields.description.optional(),
  visibility: catalogFields.visibility.optional(),
  definition: catalogFields.definition.optional(),
});
export const enablementBody = z.strictObject({ connection: slug, scope: scopeSchema });
export const enablementQuery = z.strictObject({
  connection: slug,
  scopeType: z.enum(['project', 'group']),
  path: forgePath,
});

// Outputs

export const errorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

const warnings = z.array(z.string()).describe('Things that work but deserve a second look');

export const serviceAccountView = z.object({
  id: z.number().int(),
  username: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  forgeUserId: z.number().int(),
  tokenEnding: z
    .string()
    .nullable()
    .describe('Last 4 characters of the token, to tell tokens apart'),
});
export const serviceAccountAdded = serviceAccountView.extend({
  bot: z.boolean(),
  scopes: z.array(z.string()),
  tokenExpiresAt: z.string().nullable(),
  warnings,
});

export const connectionView = z.object({
  id: z.string(),
  kind: z.literal('gitlab'),
  url: z.string(),
  hasWebhookSecret: z.literal(true),
  webhookUrl: z.string().describe('The URL to set in GitLab: Settings > Webhooks'),
  serviceAccounts: z.array(serviceAccountView),
});
export const connectionSaved = connectionView.extend({ warnings });

export const triggerView = z.object({
  id: z.number().int(),
  description: z.string(),
  eventTypes: eventTypesSchema,
  connection: z.string(),
  serviceAccount: z.string(),
  scope: z.object({ type: z.enum(['project', 'group']), path: z.string() }),
  active: z.boolean(),
  pushToSourceBranch: z.boolean(),
  configPath: z.string().nullable(),
  catalogFlow: z.object({ id: z.number().int(), name: z.string() }).nullable(),
  warnings,
});

export const flagSettingView = z.object({
  name: flagNameSchema,
  scope: z.union([
    z.object({ type: z.literal('instance') }),
    z.object({ type: z.enum(['group', 'project']), connection: z.string(), path: z.string() }),
  ]),
  enabled: z.boolean(),
});
export const flagsView = z.object({
  flags: z.array(z.object({ name: flagNameSchema, default: z.boolean() })),
  settings: z.array(flagSettingView),
});

export const catalogFlowView = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string(),
  visibility: z.enum(['private', 'public']),
  definition: z.string(),
});
export const enablementView = z.object({
  flow: z.string(),
  connection: z.string(),
  scope: z.object({ type: z.enum(['project', 'group']), path: z.string() }),
});

export type ServiceAccountView = z.output<typeof serviceAccountView>;
export type ConnectionView = z.output<typeof connectionView>;
export type TriggerView = z.output<typeof triggerView>;
export type FlagSettingView = z.output<typeof flagSettingView>;
export type CatalogFlowView = z.output<typeof catalogFlowView>;
export type EnablementView = z.output<typeof enablementView>;
