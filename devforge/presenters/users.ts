import type { ForgeUrls } from '../forge-urls.ts';
import type { AccessToken, User } from '../state/types.ts';
import { isoTime, isoTimeOrNull } from './time.ts';

export function userBasic(urls: ForgeUrls, user: User) {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: user.state,
    locked: false,
    avatar_url: urls.avatar(user.email),
    web_url: urls.web(user.username),
  };
}

/** `GET /users/:id` and `GET /users`; `self` adds what GitLab shows only to the user or an admin. */
export function userDetail(urls: ForgeUrls, user: User, options: { self: boolean }) {
  const detail = {
    ...userBasic(urls, user),
    created_at: isoTime(user.createdAt),
    bio: '',
    location: '',
    public_email: user.publicEmail,
    linkedin: '',
    twitter: '',
    discord: '',
    website_url: '',
    organization: '',
    job_title: '',
    pronouns: null,
    bot: user.bot,
    work_information: null,
    followers: 0,
    following: 0,
    local_time: null,
  };
  if (!options.self) return detail;
  return {
    ...detail,
    last_sign_in_at: null,
    confirmed_at: isoTime(user.createdAt),
    last_activity_on: null,
    email: user.email,
    theme_id: 1,
    color_scheme_id: 1,
    projects_limit: 100000,
    current_sign_in_at: null,
    identities: [],
    can_create_group: !user.bot,
    can_create_project: !user.bot,
    two_factor_enabled: false,
    external: false,
    private_profile: false,
    commit_email: user.email,
    is_admin: user.admin,
    note: null,
    namespace_id: user.id,
    created_by: null,
  };
}

/** The user shape inside webhook bodies. Emails are redacted as on GitLab unless public. */
export function hookUser(urls: ForgeUrls, user: User) {
  return {
    id: user.id,
    name: user.name,
    username: user.username,
    avatar_url: urls.avatar(user.email),
    email: user.publicEmail ?? '[REDACTED]',
  };
}

export function tokenEntity(token: AccessToken) {
  return {
    id: token.id,
    name: token.name,
    revoked: token.revoked,
    created_at: isoTime(token.createdAt),
    description: token.description,
    scopes: token.scopes,
    user_id: token.userId,
    last_used_at: isoTimeOrNull(token.lastUsedAt),
    active:
      !token.revoked && (token.expiresAt === null || Date.parse(token.expiresAt) >= Date.now()),
    expires_at: token.expiresAt,
  };
}
