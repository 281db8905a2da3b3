import { afterEach, beforeEach, expect, it } from 'vitest';
import { BatonHarness, projectPath } from '../helpers/baton-harness.ts';
import { describeEachDatabase } from '../helpers/database.ts';

const editingFlow = `image: node:22-slim
commands:
  - 'echo "Asked: $AI_FLOW_INPUT"'
  - 'cat "$AI_FLOW_CONTEXT_FILE"; echo'
  - |
    cat > src/greet.ts <<'EOF'
    export function greet(name: string): string {
      return 'Good day, ' + name;
    }
    EOF
  - echo "edited"
`;

describeEachDatabase('a mention runs a flow and ends in one final note', (getDatabase) => {
  let harness: BatonHarness;

  beforeEach(async () => {
    harness = await BatonHarness.start(getDatabase());
  });
  afterEach(async () => {
    await harness.close();
  });

  it('opens a merge request with the flow’s change and links it in the thread', async () => {
    await harness.commitFile('.gitlab/duo/flows/edit.yaml', editingFlow);
    await harness.addTrigger({
      flow: { kind: 'config_path', path: '.gitlab/duo/flows/edit.yaml' },
    });
    const { discussionId } = await harness.commentOnIssue('alice', '@claude-agent say good day');
    await harness.processed();
    const [queued] = await harness.services.runs.list();
    if (!queued) throw new Error(`no run was queued: ${JSON.stringify(await harness.decisions())}`);
    const run = await harness.waitForRun(queued.id);
    expect(run.status, run.failure ?? '').toBe('succeeded');

    const mrs = (await harness.rest(
      'root',
      'GET',
      `/projects/${encodeURIComponent(projectPath)}/merge_requests?source_branch=workloads/${run.id}`,
    )) as {
      iid: number;
      web_url: string;
      target_branch: string;
      author: { username: string };
    }[];
    expect(mrs).toHaveLength(1);
    expect(mrs[0]).toMatchObject({ target_branch: 'main', author: { username: 'claude-agent' } });
    const file = (await harness.rest(
      'root',
      'GET',
      `/projects/${encodeURIComponent(projectPath)}/repository/files/src%2Fgreet.ts?ref=workloads/${run.id}`,
    )) as { content: string };
    expect(Buffer.from(file.content, 'base64').toString('utf8')).toContain('Good day');
    const commit = (await harness.rest(
      'root',
      'GET',
      `/projects/${encodeURIComponent(projectPath)}/repository/commits/workloads%2F${run.id}`,
    )) as {
      author_name: string;
      committer_name: string;
    };
    expect(commit.committer_name).toBe('Alice Developer');
    expect(commit.author_name).not.toBe('Alice Developer');

    const replies = (await harness.discussionNotes(discussionId)).slice(1);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.author.username).toBe('claude-agent');
    expect(replies[0]?.body).toContain(mrs[0]?.web_url ?? 'missing');

    const log = (await harness.services.logs.read(run.id)).entries.map((e) => e.text).join('');
    expect(log).toContain('Asked: @claude-agent say good day');
    expect(log).toContain('"title":"Greeting should mention the time of day"');
    expect((await harness.services.runs.transitions(run.id)).map((t) => t.to)).toEqual([
      'queued',
      'preparing',
      'running',
      'publishing',
      'succeeded',
    ]);
  });

  it('ends a failing flow with one note saying what failed', async () => {
    await harness.commitFile(
      '.gitlab/duo/flows/fail.yaml',
      'image: x\ncommands:\n  - echo trying\n  - exit 4\n',
    );
    await harness.addTrigger({
      flow: { kind: 'config_path', path: '.gitlab/duo/flows/fail.yaml' },
    });
    const { discussionId } = await harness.commentOnIssue('alice', '@claude-agent try');
    await harness.processed();
    const [queued] = await harness.services.runs.list();
    const run = await harness.waitForRun(queued?.id ?? '');
    expect(run.status).toBe('failed');
    const replies = (await harness.discussionNotes(discussionId)).slice(1);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.body).toContain('4');
  });

  it('stops a running flow when someone writes "@agent stop" in the thread', async () => {
    await harness.commitFile(
      '.gitlab/duo/flows/slow.yaml',
      'image: x\ncommands:\n  - echo started\n  - sleep 60\n',
    );
    await harness.addTrigger({
      flow: { kind: 'config_path', path: '.gitlab/duo/flows/slow.yaml' },
    });
    const { discussionId } = await harness.commentOnIssue('alice', '@claude-agent take your time');
    await harness.processed();
    const queued = await harness.onlyRun();
    await harness.waitForStatus(queued.id, 'running');
    await harness.commentOnIssue('mia', '@claude-agent stop');
    await harness.processed();
    const run = await harness.waitForRun(queued.id);
    expect(run.status).toBe('cancelled');
    const replies = (await harness.discussionNotes(discussionId)).slice(1);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.body).toContain('cancelled by @mia');
    expect((await harness.decisions()).at(-1)).toMatchObject({
      reason: `stop: cancelled ${run.id}`,
    });
  });

  it('never lets a masked variable reach the log or the thread', async () => {
    await harness.services.variables.set({
      connectionId: 'devforge',
      scope: { type: 'group', path: 'demo' },
      key: 'DEPLOY_TOKEN',
      value: 'super-secret-deploy-token',
    });
    await harness.commitFile(
      '.gitlab/duo/flows/leaky.yaml',
      'image: x\nvariables:\n  - DEPLOY_TOKEN\ncommands:\n  - echo "token is $DEPLOY_TOKEN"\n  - exit 1\n',
    );
    await harness.addTrigger({
      flow: { kind: 'config_path', path: '.gitlab/duo/flows/leaky.yaml' },
    });
    const { discussionId } = await harness.commentOnIssue('alice', '@claude-agent leak it');
    await harness.processed();
    const run = await harness.waitForRun((await harness.onlyRun()).id);
    expect(run.status).toBe('failed');
    const log = (await harness.services.logs.read(run.id)).entries.map((e) => e.text).join('');
    expect(log).toContain('token is [MASKED]');
    expect(log).not.toContain('super-secret-deploy-token');
    const notes = JSON.stringify(await harness.discussionNotes(discussionId));
    expect(notes).toContain('[MASKED]');
    expect(notes).not.toContain('super-secret-deploy-token');
  });

  it('pushes to the merge request’s own branch when the trigger says so', async () => {
    await harness.commitFile('.gitlab/duo/flows/edit.yaml', editingFlow);
    await harness.addTrigger({
      flow: { kind: 'config_path', path: '.gitlab/duo/flows/edit.yaml' },
      pushToSourceBranch: true,
    });
    const agent = (await harness.rest('claude-agent', 'GET', '/user')) as { id: number };
    await harness.rest(
      'alice',
      'PUT',
      `/projects/${encodeURIComponent(projectPath)}/merge_requests/1`,
      {
        reviewer_ids: [agent.id],
      },
    );
    await harness.processed();
    const run = await harness.waitForRun((await harness.onlyRun()).id);
    expect(run.status, run.failure ?? '').toBe('succeeded');
    expect(run.pushToSourceBranch).toBe(true);
    const mrs = (await harness.rest(
      'root',
      'GET',
      `/projects/${encodeURIComponent(projectPath)}/merge_requests?state=all`,
    )) as unknown[];
    expect(mrs).toHaveLength(1);
    const file = (await harness.rest(
      'root',
      'GET',
      `/projects/${encodeURIComponent(projectPath)}/repository/files/src%2Fgreet.ts?ref=feature%2Fpolite-greeting`,
    )) as { content: string };
    expect(Buffer.from(file.content, 'base64').toString('utf8')).toContain('Good day');
  });

  it('tells a later request in the same thread that it waits, and stop ends both', async () => {
    await harness.commitFile('.gitlab/duo/flows/slow.yaml', 'image: x\ncommands:\n  - sleep 60\n');
    await harness.addTrigger({
      flow: { kind: 'config_path', path: '.gitlab/duo/flows/slow.yaml' },
    });
    await harness.commentOnIssue('alice', '@claude-agent first');
    await harness.processed();
    const first = await harness.onlyRun();
    await harness.waitForStatus(first.id, 'running');
    const { discussionId } = await harness.commentOnIssue('alice', '@claude-agent second');
    await harness.processed();
    const waiting = (await harness.discussionNotes(discussionId))[1]?.body ?? '';
    expect(waiting).toMatch(/^⏳ Queued: another run is still active or waiting in this thread/);
    const second = (await harness.services.runs.list()).find((r) => r.id !== first.id);
    expect(second?.status).toBe('queued');

    await harness.commentOnIssue('alice', '@claude-agent stop');
    await harness.processed();
    expect((await harness.waitForRun(first.id)).status).toBe('cancelled');
    expect((await harness.waitForRun(second?.id ?? '')).status).toBe('cancelled');
    expect((await harness.discussionNotes(discussionId))[1]?.body).toContain('cancelled by @alice');
  });
});
