import type { ServiceAccount } from '../forges/connection-store.ts';
import type { ForgeActivity } from '../forges/forge-activity.ts';
import { parseMentions } from './parse-mentions.ts';
import type { TriggerEventType } from './trigger-store.ts';

export interface Candidate {
  account: ServiceAccount;
  eventType: TriggerEventType;
}

export type CandidateReading =
  | {
      kind: 'candidates';
      candidates: Candidate[];
      /** Accounts told to stop (`@account stop` on a line of its own): cancel their runs here. */
      stops: ServiceAccount[];
    }
  | { kind: 'none'; reason: string }
  | { kind: 'refused'; reason: string; accounts: string[] };

/**
 * Which service accounts an activity addresses, and as which trigger event. Mentions are read
 * as GitLab renders them (not in code, quotes or comments); an edited comment never triggers,
 * so that fixing a typo does not run an agent again.
 */
export function findCandidates(
  activity: ForgeActivity,
  accounts: readonly ServiceAccount[],
): CandidateReading {
  const byUsername = new Map(accounts.map((a) => [a.username.toLowerCase(), a]));
  const byId = new Map(accounts.map((a) => [a.forgeUserId, a]));
  if (activity.kind === 'comment') {
    const { mentions, stops } = parseMentions(activity.body, byUsername.keys());
    const mentioned = mentions.flatMap((name) => byUsername.get(name.toLowerCase()) ?? []);
    const stopped = stops.flatMap((name) => byUsername.get(name.toLowerCase()) ?? []);
    if (mentioned.length === 0 && stopped.length === 0) {
      return { kind: 'none', reason: 'no service account mentioned' };
    }
    if (activity.action === 'update') {
      return {
        kind: 'refused',
        reason: 'edited comment',
        accounts: [...new Set([...mentioned, ...stopped].map((a) => a.username))],
      };
    }
    return {
      kind: 'candidates',
      stops: stopped,
      candidates: mentioned.map((account) => ({ account, eventType: 'mention' })),
    };
  }
  const eventType: TriggerEventType = activity.kind === 'assigned' ? 'assign' : 'assign_reviewer';
  const added = activity.added.flatMap((user) => byId.get(user.id) ?? []);
  if (added.length === 0) return { kind: 'none', reason: `no service account in ${eventType}` };
  return {
    kind: 'candidates',
    stops: [],
    candidates: added.map((account) => ({ account, eventType })),
  };
}
