import type { ForgeUrls } from '../forge-urls.ts';
import type { Membership, User } from '../state/types.ts';
import { isoTime } from './time.ts';
import { userBasic } from './users.ts';

export function memberEntity(
  urls: ForgeUrls,
  user: User,
  membership: Membership,
  createdBy: User | undefined,
) {
  return {
    ...userBasic(urls, user),
    access_level: membership.accessLevel,
    created_at: isoTime(membership.createdAt),
    created_by: createdBy === undefined ? null : userBasic(urls, createdBy),
    expires_at: membership.expiresAt,
    membership_state: 'active',
    group_saml_identity: null,
  };
}
