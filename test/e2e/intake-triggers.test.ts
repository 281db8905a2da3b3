import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, silentLogger } from '../helpers/database.ts';
import { BatonHarness, claudeFlowPath, projectPath } from '../helpers/baton-harness.ts';
import { GitLabApi } from '../../src/forges/gitlab/gitlab-api.ts';
import { agentConfigPath } from '../../src/flows/agent-config.ts';
import { processingNote } from '../../src/triggers/acknowledgement-notes.ts';

const started =
  /^✅ Agent has started\. You can view the progress <a href="http:\/\/127\.0\.0\.1:\d+\/runs\/([0-9a-f]{12})\?t=[A-Za-z0-9_-]{22}" target="_blank" rel="noopener noreferrer">here<\/a>\.$/;

/** A trigger whose flow file has `commands` as a string, mentioned once; Baton's reply. */
async function mentionWithBrokenFlow(harness: BatonHarness): Promise<string | undefined> {
  await harness.commitFile(
    '.gitlab/duo/flows/broken.yaml',
    'image: node:22-slim\ncommands: echo hi\n',
  );
  await harness.addTrigger({
    flow: { kind: 'config_path', path: '.gitlab/duo/flows/broken.yaml' },
  });
  const { discussionId } = await harness.commentOnIssue('alice', '@claude-agent go');
  await harness.processed();
  return (await harness.discussionNotes(discussionId))[1]?.body;
}

describeEachDatabase('intake and triggers against the development forge', (getDatabase) => {
  let harness: BatonHarness;

  beforeEach(async () => {
    harness = await BatonHarness.start(getDatabase());
  });
  afterEach(async () => {
    await harness.close();
  });

  it('answers a Developer’s mention in the same thread and queues one run', async () => {
    await harness.addTrigger();
    const { discussionId } = await harness.commentOnIssue(
      'alice',
      '@claude-agent please add the time of day',
    );
    const [result] = await harness.processed();
    expect(result?.status).toBe('done');

    const notes = await harness.discussionNotes(discussionId);
    expect(notes.map((n) => n.author.username)).toEqual(['alice', 'claude-agent']);
    const runId = started.exec(notes[1]?.body ?? '')?.[1];
    expect(runId).toBeDefined();

    const run = await harness.services.runs.get(runId ?? '');
    expect(run).toMatchObject({
      eventType: 'mention',
      projectPath,
      discussionId,
      requestedBy: { username: 'alice' },
      flowSource: `\`${claudeFlowPath}\``,
      flow: { format: 'gitlab', image: 'node:22-slim' },
    });
    expect(run?.environment).toMatchObject({
      AI_FLOW_EVENT: 'mention',
      AI_FLOW_INPUT: '@claude-agent please add the time of day',
      AI_FLOW_DISCUSSION_ID: discussionId,
      AI_FLOW_PROJECT_PATH: projectPath,
      GIT_AUTHOR_NAME: expect.any(String) as string,
      GIT_COMMITTER_NAME: 'Alice Developer',
    });
    const context = JSON.parse(run?.environment.AI_FLOW_CONTEXT ?? '{}') as {
      title: string;
      comments: unknown[];
    };
    expect(context.title).toBe('Greeting should mention the time of day');
    expect((await harness.services.runs.transitions(runId ?? ''))[0]).toMatchObject({
      from: null,
      to: 'queued',
    });
  });

  it('acknowledges an assignment with a new note on the issue', async () => {
    await harness.addTrigger();
    const agent = (await harness.rest('claude-agent', 'GET', '/user')) as { id: number };
    await harness.rest('alice', 'PUT', `/projects/${encodeURIComponent(projectPath)}/issues/1`, {
      assignee_ids: [agent.id],
    });
    await harness.processed();
    const notes = await harness.notesBy('claude-agent');
    expect(notes).toHaveLength(1);
    expect(notes[0]?.body).toMatch(started);
    const [run] = await harness.services.runs.list();
    expect(run?.eventType).toBe('assign');
    expect(run?.environment.AI_FLOW_INPUT).toBe('1');
  });

  it('acknowledges a review request on a merge request', async () => {
    await harness.addTrigger();
    const agent = (await harness.rest('claude-agent', 'GET', '/user')) as { id: number };
    await harness.rest(
      'alice',
      'PUT',
      `/projects/${encodeURIComponent(projectPath)}/merge_requests/1`,
      { reviewer_ids: [agent.id] },
    );
    await harness.processed();
    const notes = await harness.notesBy('claude-agent', 'merge_requests/1');
    expect(notes[0]?.body).toMatch(started);
    const [run] = await harness.services.runs.list();
    expect(run).toMatchObject({
      eventType: 'assign_reviewer',
      noteable: { type: 'merge_request', iid: 1 },
    });
    const context = JSON.parse(run?.environment.AI_FLOW_CONTEXT ?? '{}') as {
      diffs: { new_path: string }[];
    };
    expect(context.diffs.map((d) => d.new_path)).toEqual(['src/greet.ts']);
  });

  it('starts one run per mentioned agent', async () => {
    await harness.addServiceAccount('codex-agent');
    await harness.addTrigger();
    await harness.addTrigger({ account: 'codex-agent', description: 'Codex' });
    const { discussionId } = await harness.commentOnIssue(
      'alice',
      '@claude-agent and @codex-agent, compare notes',
    );
    await harness.processed();
    const replies = (await harness.discussionNotes(discussionId)).slice(1);
    expect(replies.map((n) => n.author.username).sort()).toEqual(['claude-agent', 'codex-agent']);
    // One run per thread at a time, whichever agent: one starts, the other may say it waits.
    expect(replies.filter((reply) => started.test(reply.body)).length).toBeGreaterThanOrEqual(1);
    for (const reply of replies)
      expect(reply.body).toMatch(/^(✅ Agent has started|⏳ Queued: another run)/);
    expect(await harness.services.runs.list()).toHaveLength(2);
  });

  it('says which key and line is wrong when the flow file is invalid', async () => {
    expect(await mentionWithBrokenFlow(harness)).toBe(
      '❌ Could not start the agent due to this error: invalid flow definition in `.gitlab/duo/flows/broken.yaml`: value at `/commands` is not an array (write each command on its own line starting with `- `) (line 2, column 11)',
    );
    expect(await harness.services.runs.list()).toHaveLength(0);
  });

  it('says the flow file is missing when it is', async () => {
    await harness.addTrigger({
      flow: { kind: 'config_path', path: '.gitlab/duo/flows/nope.yaml' },
    });
    const { discussionId } = await harness.commentOnIssue('alice', '@claude-agent go');
    await harness.processed();
    expect((await harness.discussionNotes(discussionId))[1]?.body).toContain(
      'invalid or missing flow definition: `.gitlab/duo/flows/nope.yaml` does not exist on branch main',
    );
  });

  it.each([
    ['rita', 'Reporter'],
    ['gus', 'Guest'],
  ] as const)('ignores a mention from a %s (%s)', async (user, role) => {
    await harness.addTrigger();
    await harness.commentOnIssue(user, '@claude-agent do it');
    await harness.processed();
    expect(await harness.notesBy('claude-agent')).toEqual([]);
    expect(await harness.decisions()).toEqual([
      expect.objectContaining({
        decision: 'refused',
        reason: expect.stringContaining(`has the ${role} role`) as string,
      }),
    ]);
  });

  it('ignores a mention from someone who is not a member of a public project', async () => {
    const project = harness.forge.state.projectByPath(projectPath);
    if (!project) throw new Error('fixture project missing');
    project.visibility = 'public';
    await harness.addTrigger();
    await harness.commentOnIssue('nora', '@claude-agent do it');
    await harness.processed();
    expect(await harness.notesBy('claude-agent')).toEqual([]);
    expect((await harness.decisions())[0]?.reason).toContain('has the no access role');
  });

  it('never lets a bot start a run, even one Baton does not manage', async () => {
    await harness.addTrigger();
    await harness.commentOnIssue('codex-agent', '@claude-agent review this');
    await harness.processed();
    expect(await harness.notesBy('claude-agent')).toEqual([]);
    expect((await harness.decisions())[0]).toMatchObject({
      decision: 'refused',
      reason: 'cannot be triggered by non-human users',
    });
  });

  it('never lets the service account trigger itself', async () => {
    await harness.addTrigger();
    await harness.commentOnIssue('claude-agent', 'Done. @claude-agent');
    await harness.processed();
    expect(await harness.notesBy('claude-agent')).toHaveLength(1);
    expect((await harness.decisions())[0]?.reason).toBe('cannot be triggered by non-human users');
  });

  it('refuses an inactive trigger', async () => {
    await harness.addTrigger({ active: false });
    await harness.commentOnIssue('alice', '@claude-agent go');
    await harness.processed();
    expect(await harness.notesBy('claude-agent')).toEqual([]);
    expect((await harness.decisions())[0]?.reason).toBe('flow trigger is not active');
  });

  it('refuses when the feature flag is off for the project’s group', async () => {
    await harness.addTrigger();
    await harness.services.flags.set({
      name: 'ai_flow_triggers',
      scope: { type: 'group', connectionId: 'devforge', path: 'demo' },
      enabled: false,
    });
    await harness.commentOnIssue('alice', '@claude-agent go');
    await harness.processed();
    expect(await harness.notesBy('claude-agent')).toEqual([]);
    expect((await harness.decisions())[0]?.reason).toBe(
      'flow is disabled by a feature flag (ai_flow_triggers, set by group demo)',
    );
  });

  it('ignores a mention inside a code block', async () => {
    await harness.addTrigger();
    await harness.commentOnIssue('alice', 'Use it like this:\n\n```\n@claude-agent fix\n```\n');
    await harness.processed();
    expect(await harness.notesBy('claude-agent')).toEqual([]);
    // Not even stored: a comment that addresses no agent costs no database write.
    expect(await harness.decisions()).toEqual([]);
    expect(
      await harness.services.database.db.selectFrom('webhook_deliveries').select('id').execute(),
    ).toEqual([]);
  });

  it('does not run again when a comment is edited', async () => {
    await harness.addTrigger();
    const { noteId } = await harness.commentOnIssue('alice', 'typo');
    await harness.processed();
    await harness.rest(
      'alice',
      'PUT',
      `/projects/${encodeURIComponent(projectPath)}/issues/1/notes/${noteId}`,
      {
        body: '@claude-agent go',
      },
    );
    await harness.processed();
    expect(await harness.notesBy('claude-agent')).toEqual([]);
    expect((await harness.decisions()).at(-1)).toMatchObject({
      decision: 'refused',
      reason: 'edited comment',
    });
  });

  it('makes one run of a redelivered webhook', async () => {
    await harness.addTrigger();
    await harness.commentOnIssue('alice', '@claude-agent go');
    await harness.processed();
    const [delivery] = [...harness.forge.state.deliveries.values()];
    if (!delivery) throw new Error('the forge recorded no delivery');
    await harness.forge.deliveries.resend(delivery);
    await harness.forge.deliveries.idle();
    expect(await harness.notesBy('claude-agent')).toHaveLength(1);
    expect(await harness.services.runs.list()).toHaveLength(1);
    const stored = await harness.services.database.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('event', '=', 'Note Hook')
      .execute();
    expect(stored).toHaveLength(1);
  });

  it('does nothing for a mention of an agent without a trigger, and says so', async () => {
    await harness.commentOnIssue('alice', '@claude-agent go');
    await harness.processed();
    expect(await harness.notesBy('claude-agent')).toEqual([]);
    expect((await harness.decisions())[0]?.reason).toBe(
      'no mention trigger for @claude-agent in demo/app',
    );
  });

  it('posts the processing note before it resolves the flow', () => {
    expect(processingNote).toBe('🔄 Processing the request and starting the agent...');
  });
});

describeEachDatabase('run preparation against the development forge', (getDatabase) => {
  /** A harness whose GitLab client reports every call, and fails those `fails` picks. */
  function tracedHarness(
    onCall: (name: string, change: 1 | -1) => void,
    fails: (name: string, args: unknown[]) => boolean = () => false,
  ) {
    return BatonHarness.start(getDatabase(), {
      createApi: (connection, account) => {
        const api = new GitLabApi({
          baseUrl: connection.baseUrl,
          token: account.token,
          logger: silentLogger(),
        });
        return new Proxy(api, {
          get(target, name, receiver) {
            const value = Reflect.get(target, name, receiver) as unknown;
            if (typeof value !== 'function') return value;
            return async (...args: unknown[]) => {
              onCall(String(name), 1);
              try {
                if (fails(String(name), args)) throw new Error(`${String(name)}: GitLab is down`);
                return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
              } finally {
                onCall(String(name), -1);
              }
            };
          },
        });
      },
    });
  }

  it('prepares a run with its forge reads side by side, not one after another', async () => {
    // Against a real GitLab each read is a round trip of tens of milliseconds.
    let inFlight = 0;
    let most = 0;
    const calls: string[] = [];
    const harness = await tracedHarness((name, change) => {
      if (change === 1) calls.push(name);
      inFlight += change;
      most = Math.max(most, inFlight);
    });
    try {
      await harness.addTrigger();
      await harness.commentOnIssue('alice', '@claude-agent please add the time of day');
      await harness.processed();
    } finally {
      await harness.close();
    }

    // The flow file, agent-config.yml, the thread's notes, the issue and the accounts.
    expect(calls).toEqual(expect.arrayContaining(['readFile', 'listNotes', 'getIssue']));
    expect(most).toBeGreaterThanOrEqual(4);
  });

  it('still says what is wrong with the flow file when a read beside it fails', async () => {
    // agent-config.yml and the thread cannot be read; the flow file can, and is broken.
    const harness = await tracedHarness(
      () => undefined,
      (name, args) => name === 'listNotes' || (name === 'readFile' && args[1] === agentConfigPath),
    );
    try {
      expect(await mentionWithBrokenFlow(harness)).toMatch(
        /^❌ Could not start the agent due to this error: invalid flow definition in `\.gitlab\/duo\/flows\/broken\.yaml`/,
      );
    } finally {
      await harness.close();
    }
  });
});
