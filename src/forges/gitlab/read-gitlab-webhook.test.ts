import { describe, expect, it } from 'vitest';
import { readGitLabWebhook } from './read-gitlab-webhook.ts';

const project = {
  id: 5,
  name: 'Gitlab Test',
  path_with_namespace: 'gitlab-org/gitlab-test',
  web_url: 'http://example.com/gitlab-org/gitlab-test',
  default_branch: 'master',
};
const root = { id: 1, name: 'Administrator', username: 'root', email: 'admin@example.com' };
const agent = { id: 57, name: 'Agent', username: 'ai-agent-bot', email: '[REDACTED]' };

function issueNote(overrides: Record<string, unknown> = {}) {
  return {
    object_kind: 'note',
    event_type: 'note',
    user: root,
    project_id: 5,
    project,
    object_attributes: {
      id: 1241,
      note: 'Hello @ai-agent-bot please fix this',
      noteable_type: 'Issue',
      noteable_id: 92,
      discussion_id: 'c3d97fd471f210a5dc8b97a409e3bea95ee06c14',
      type: null,
      system: false,
      action: 'create',
      url: 'http://example.com/gitlab-org/gitlab-test/issues/17#note_1241',
      ...overrides,
    },
    issue: { id: 92, iid: 17, title: 'test' },
  };
}

describe('readGitLabWebhook', () => {
  it('reads a comment on an issue with its thread id', () => {
    const reading = readGitLabWebhook('Note Hook', issueNote());
    expect(reading).toEqual({
      outcome: 'activities',
      activities: [
        {
          kind: 'comment',
          action: 'create',
          actor: { id: 1, username: 'root', name: 'Administrator' },
          noteable: {
            type: 'issue',
            projectId: 5,
            projectPath: 'gitlab-org/gitlab-test',
            id: 92,
            iid: 17,
          },
          noteId: 1241,
          body: 'Hello @ai-agent-bot please fix this',
          discussionId: 'c3d97fd471f210a5dc8b97a409e3bea95ee06c14',
          internal: false,
        },
      ],
    });
  });

  it('keeps the edit action so that edited comments can be refused', () => {
    const reading = readGitLabWebhook('Note Hook', issueNote({ action: 'update' }));
    expect(
      reading.outcome === 'activities' && reading.activities[0].kind === 'comment'
        ? reading.activities[0].action
        : null,
    ).toBe('update');
  });

  it('ignores system notes', () => {
    expect(readGitLabWebhook('Note Hook', issueNote({ system: true }))).toEqual({
      outcome: 'ignored',
      reason: 'system note',
    });
  });

  it('reads a comment on a merge request with its branches', () => {
    const body = {
      ...issueNote({ noteable_type: 'MergeRequest', noteable_id: 7 }),
      issue: undefined,
      merge_request: { id: 7, iid: 1, source_branch: 'feature', target_branch: 'master' },
    };
    const reading = readGitLabWebhook('Note Hook', body);
    expect(reading.outcome).toBe('activities');
    if (reading.outcome !== 'activities') return;
    expect(reading.activities[0].noteable).toMatchObject({
      type: 'merge_request',
      iid: 1,
      sourceBranch: 'feature',
      targetBranch: 'master',
    });
  });

  it('ignores comments on commits and snippets', () => {
    const body = { ...issueNote({ noteable_type: 'Commit', noteable_id: null }), issue: undefined };
    expect(readGitLabWebhook('Note Hook', body)).toEqual({
      outcome: 'ignored',
      reason: 'comment on a Commit',
    });
  });

  it('reads an assignee added to an issue from changes.assignees', () => {
    const body = {
      object_kind: 'issue',
      event_type: 'issue',
      user: root,
      project,
      object_attributes: { id: 301, iid: 23, action: 'update', type: 'Issue', assignee_ids: [57] },
      assignees: [agent],
      changes: { assignees: { previous: [root], current: [root, agent] } },
    };
    const reading = readGitLabWebhook('Issue Hook', body);
    expect(reading).toMatchObject({
      outcome: 'activities',
      activities: [{ kind: 'assigned', added: [{ id: 57, username: 'ai-agent-bot' }] }],
    });
  });

  it('reads assignees on a newly opened issue from assignee_ids', () => {
    const body = {
      object_kind: 'issue',
      user: root,
      project,
      object_attributes: { id: 301, iid: 23, action: 'open', assignee_ids: [57] },
      assignees: [agent],
    };
    expect(readGitLabWebhook('Issue Hook', body)).toMatchObject({
      activities: [{ kind: 'assigned', added: [{ username: 'ai-agent-bot' }] }],
    });
  });

  it('does not count an assignee that was already there', () => {
    const body = {
      object_kind: 'issue',
      user: root,
      project,
      object_attributes: { id: 301, iid: 23, action: 'update', assignee_ids: [57] },
      changes: { assignees: { previous: [agent], current: [agent] } },
    };
    expect(readGitLabWebhook('Issue Hook', body)).toEqual({
      outcome: 'ignored',
      reason: 'no assignee added',
    });
  });

  it('reads a reviewer and an assignee added to a merge request in one update', () => {
    const body = {
      object_kind: 'merge_request',
      user: root,
      project,
      object_attributes: {
        id: 99,
        iid: 1,
        action: 'update',
        source_branch: 'ms-viewport',
        target_branch: 'master',
      },
      changes: {
        reviewers: { previous: [], current: [agent] },
        assignees: { previous: [], current: [agent] },
      },
    };
    const reading = readGitLabWebhook('Merge Request Hook', body);
    expect(reading.outcome === 'activities' ? reading.activities.map((a) => a.kind) : []).toEqual([
      'review_requested',
      'assigned',
    ]);
  });

  it('answers events Baton does not handle with a reason, not an error', () => {
    expect(readGitLabWebhook('Push Hook', { object_kind: 'push' })).toEqual({
      outcome: 'ignored',
      reason: 'event Push Hook',
    });
  });

  it('says which field is wrong in a malformed body', () => {
    const reading = readGitLabWebhook('Note Hook', { object_kind: 'note', user: { id: 'x' } });
    expect(reading.outcome).toBe('invalid');
    if (reading.outcome !== 'invalid') return;
    expect(reading.problems.join('\n')).toContain('user.id');
  });

  it('refuses a delivery without an event header', () => {
    expect(readGitLabWebhook(undefined, issueNote()).outcome).toBe('invalid');
  });
});
