import { z } from 'zod';

/**
 * GitLab webhook bodies, as much as Baton reads of them. Permissive on purpose: GitLab adds
 * fields between versions, so only the fields Baton uses are named, and unknown ones pass.
 * Sources: docs.gitlab.com/user/project/integrations/webhook_events/ and GitLab's data builders
 * (see shared research, gitlab-api-contract.md §1).
 */

const id = z.number().int().nonnegative();

export const hookUserSchema = z.object({
  id,
  username: z.string().min(1),
  name: z.string().default(''),
});
export type HookUser = z.infer<typeof hookUserSchema>;

/** Top-level `assignees`/`reviewers` lists: GitLab's documented examples omit `id` there. */
const listedUserSchema = hookUserSchema.extend({ id: id.optional() });

const hookProjectSchema = z.object({
  id,
  path_with_namespace: z.string().min(1),
  web_url: z.string().optional(),
  default_branch: z.string().nullish(),
});

const userDeltaSchema = z.object({
  previous: z.array(hookUserSchema).nullish(),
  current: z.array(hookUserSchema).nullish(),
});

export const noteHookSchema = z.object({
  object_kind: z.literal('note'),
  event_type: z.enum(['note', 'confidential_note']).optional(),
  user: hookUserSchema,
  project: hookProjectSchema.nullish(),
  object_attributes: z.object({
    id,
    note: z.string(),
    noteable_type: z.string(),
    noteable_id: id.nullish(),
    discussion_id: z.string().nullish(),
    type: z.string().nullish(),
    system: z.boolean().nullish(),
    internal: z.boolean().nullish(),
    action: z.enum(['create', 'update']).optional(),
    url: z.string().optional(),
  }),
  issue: z.object({ id, iid: id, title: z.string().optional() }).optional(),
  merge_request: z
    .object({
      id,
      iid: id,
      title: z.string().optional(),
      source_branch: z.string().optional(),
      target_branch: z.string().optional(),
    })
    .optional(),
});
export type NoteHook = z.infer<typeof noteHookSchema>;

export const issueHookSchema = z.object({
  object_kind: z.enum(['issue', 'work_item']),
  user: hookUserSchema,
  project: hookProjectSchema.nullish(),
  object_attributes: z.object({
    id,
    iid: id,
    title: z.string().optional(),
    action: z.string().optional(),
    type: z.string().optional(),
    assignee_ids: z.array(id).nullish(),
  }),
  assignees: z.array(listedUserSchema).nullish(),
  changes: z.object({ assignees: userDeltaSchema.optional() }).optional(),
});
export type IssueHook = z.infer<typeof issueHookSchema>;

export const mergeRequestHookSchema = z.object({
  object_kind: z.literal('merge_request'),
  user: hookUserSchema,
  project: hookProjectSchema,
  object_attributes: z.object({
    id,
    iid: id,
    title: z.string().optional(),
    action: z.string().optional(),
    source_branch: z.string(),
    target_branch: z.string(),
    assignee_ids: z.array(id).nullish(),
    reviewer_ids: z.array(id).nullish(),
  }),
  assignees: z.array(listedUserSchema).nullish(),
  reviewers: z.array(listedUserSchema).nullish(),
  changes: z
    .object({ assignees: userDeltaSchema.optional(), reviewers: userDeltaSchema.optional() })

    .optional(),
});
export type MergeRequestHook = z.infer<typeof mergeRequestHookSchema>;

/** `X-Gitlab-Event` values Baton acts on, and the body schema for each. */
export const handledEvents = {
  'Note Hook': noteHookSchema,
  'Confidential Note Hook': noteHookSchema,
  'Issue Hook': issueHookSchema,
  'Confidential Issue Hook': issueHookSchema,
  'Merge Request Hook': mergeRequestHookSchema,
} as const;
export type HandledEvent = keyof typeof handledEvents;
