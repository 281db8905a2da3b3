import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ServiceAccount } from '../connection-store.ts';
import { findCandidates } from '../../triggers/find-candidates.ts';
import { readGitLabWebhook } from './read-gitlab-webhook.ts';

/** GitLab's documented webhook bodies (see each `.source.md`), replayed through Baton's reading. */
function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./__fixtures__/${name}.json`, import.meta.url), 'utf8'));
}

function account(username: string, forgeUserId: number): ServiceAccount {
  return {
    id: 1,
    connectionId: 'c',
    username,
    forgeUserId,
    name: username,
    email: null,
    token: 't',
  };
}

function withNote(body: unknown, note: string): unknown {
  const copy = structuredClone(body) as { object_attributes: { note: string } };
  copy.object_attributes.note = note;
  return copy;
}

describe('documented GitLab webhooks', () => {
  it('a comment on an issue is a comment activity in its thread', () => {
    const reading = readGitLabWebhook('Note Hook', fixture('note-issue'));
    expect(reading).toMatchObject({
      outcome: 'activities',
      activities: [
        {
          kind: 'comment',
          action: 'create',
          actor: { username: 'root' },
          noteable: { type: 'issue', iid: 17, id: 92, projectPath: 'gitlab-org/gitlab-test' },
          discussionId: 'c3d97fd471f210a5dc8b97a409e3bea95ee06c14',
        },
      ],
    });
  });

  it('the same comment mentioning an agent becomes a mention event', () => {
    const reading = readGitLabWebhook(
      'Note Hook',
      withNote(fixture('note-issue'), '@ai-agent-bot please'),
    );
    if (reading.outcome !== 'activities') throw new Error(`unexpected ${reading.outcome}`);
    expect(findCandidates(reading.activities[0], [account('ai-agent-bot', 57)])).toMatchObject({
      kind: 'candidates',
      candidates: [{ eventType: 'mention', account: { username: 'ai-agent-bot' } }],
    });
  });

  it('a comment on a merge request carries the merge request', () => {
    expect(readGitLabWebhook('Note Hook', fixture('note-merge-request'))).toMatchObject({
      activities: [{ kind: 'comment', noteable: { type: 'merge_request' } }],
    });
  });

  it('an agent added to an issue’s assignees is an assign event', () => {
    const reading = readGitLabWebhook('Issue Hook', fixture('issue-assignees-changed'));
    if (reading.outcome !== 'activities') throw new Error(`unexpected ${reading.outcome}`);
    expect(findCandidates(reading.activities[0], [account('ai-agent-bot', 57)])).toMatchObject({
      kind: 'candidates',
      candidates: [{ eventType: 'assign' }],
    });
  });

  it('a reviewer added to a merge request is an assign_reviewer event', () => {
    const reading = readGitLabWebhook(
      'Merge Request Hook',
      fixture('merge-request-reviewers-changed'),
    );
    if (reading.outcome !== 'activities') throw new Error(`unexpected ${reading.outcome}`);
    expect(findCandidates(reading.activities[0], [account('user1', 6)])).toMatchObject({
      kind: 'candidates',
      candidates: [{ eventType: 'assign_reviewer' }],
    });
  });
});
