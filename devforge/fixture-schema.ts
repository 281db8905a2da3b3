import { z } from 'zod';

/**
 * The fixture a forge is seeded from. Strict: a typo in a fixture should fail loudly rather than
 * seed a forge that silently lacks something a test relies on.
 */
const accessLevel = z.union([
  z.literal(10),
  z.literal(20),
  z.literal(30),
  z.literal(40),
  z.literal(50),
]);

const scope = z.enum([
  'api',
  'read_api',
  'read_user',
  'read_repository',
  'write_repository',
  'ai_features',
  'self_rotate',
  'sudo',
]);

const tokenSchema = z.strictObject({
  name: z.string().min(1),
  token: z.string().min(8),
  scopes: z.array(scope).min(1),
  expires_at: z.string().nullable().optional(),
  revoked: z.boolean().optional(),
});

const userSchema = z.strictObject({
  username: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  name: z.string().min(1),
  email: z.email(),
  public_email: z.email().nullable().optional(),
  admin: z.boolean().optional(),
  bot: z.boolean().optional(),
  /** Full path of the top-level group whose service account this bot is. */
  service_account_of: z.string().optional(),
  tokens: z.array(tokenSchema).default([]),
});

const memberSchema = z.strictObject({ user: z.string(), access_level: accessLevel });

const groupSchema = z.strictObject({
  /** Full path; a subgroup's parent is everything before the last slash. */
  full_path: z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/),
  name: z.string().min(1),
  description: z.string().default(''),
  visibility: z.enum(['public', 'internal', 'private']).default('private'),
  members: z.array(memberSchema).default([]),
});

const branchSchema = z.strictObject({
  name: z.string().min(1),
  from: z.string().min(1),
  commit_message: z.string().min(1),
  author: z.string(),
  files: z.record(z.string(), z.string()),
});

const issueSchema = z.strictObject({
  title: z.string().min(1),
  description: z.string().default(''),
  author: z.string(),
  assignees: z.array(z.string()).default([]),
  labels: z.array(z.string()).default([]),
  confidential: z.boolean().default(false),
});

const mergeRequestSchema = z.strictObject({
  title: z.string().min(1),
  description: z.string().default(''),
  author: z.string(),
  source_branch: z.string(),
  target_branch: z.string(),
  assignees: z.array(z.string()).default([]),
  reviewers: z.array(z.string()).default([]),
  labels: z.array(z.string()).default([]),
});

const projectSchema = z.strictObject({
  full_path: z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/),
  name: z.string().min(1),
  description: z.string().default(''),
  default_branch: z.string().default('main'),
  visibility: z.enum(['public', 'internal', 'private']).default('private'),
  creator: z.string(),
  members: z.array(memberSchema).default([]),
  files: z.record(z.string(), z.string()).default({}),
  branches: z.array(branchSchema).default([]),
  issues: z.array(issueSchema).default([]),
  merge_requests: z.array(mergeRequestSchema).default([]),
});

const epicSchema = z.strictObject({
  group: z.string(),
  title: z.string().min(1),
  description: z.string().default(''),
  author: z.string(),
  labels: z.array(z.string()).default([]),
});

export const fixtureSchema = z.strictObject({
  /** The token that may call `/-/devforge/*`; it must also be one of an admin user's tokens. */
  admin_token: z.string().min(8),
  users: z.array(userSchema).min(1),
  groups: z.array(groupSchema).default([]),
  projects: z.array(projectSchema).default([]),
  epics: z.array(epicSchema).default([]),
});

export type Fixture = z.input<typeof fixtureSchema>;
export type ParsedFixture = z.output<typeof fixtureSchema>;
