import { z } from 'zod';

/** GitLab REST v4 entities, as much as Baton reads of them (permissive: unknown keys pass). */

const id = z.number().int().nonnegative();

export const userSchema = z.object({
  id,
  username: z.string(),
  name: z.string().default(''),
  bot: z.boolean().nullish(),
  email: z.string().nullish(),
  public_email: z.string().nullish(),
  commit_email: z.string().nullish(),
});

export const memberSchema = z.object({ id, access_level: z.number().int() });

export const projectSchema = z.object({
  id,
  name: z.string(),
  path_with_namespace: z.string(),
  default_branch: z.string().nullish(),
  web_url: z.string(),
  http_url_to_repo: z.string(),
  visibility: z.string().default('private'),
  namespace: z.object({ full_path: z.string() }).optional(),
});

const authorSchema = z.object({ id, username: z.string(), name: z.string().default('') });

export const issueSchema = z.object({
  id,
  iid: id,
  title: z.string(),
  description: z.string().nullish(),
  state: z.string(),
  labels: z.array(z.string()).default([]),
  author: authorSchema,
  web_url: z.string(),
});

export const mergeRequestSchema = issueSchema.extend({
  source_branch: z.string(),
  target_branch: z.string(),
  draft: z.boolean().nullish(),
});

export const diffSchema = z.object({
  old_path: z.string(),
  new_path: z.string(),
  diff: z.string().nullish(),
  new_file: z.boolean(),
  renamed_file: z.boolean(),
  deleted_file: z.boolean(),
});

export const noteSchema = z.object({
  id,
  body: z.string(),
  author: authorSchema,
  system: z.boolean(),
  created_at: z.string(),
});

export const discussionSchema = z.object({
  id: z.string(),
  notes: z.array(noteSchema.pick({ id: true })).min(1),
});
