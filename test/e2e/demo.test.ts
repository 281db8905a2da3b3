/**
 * README's run command without configuration: Baton, the development forge with its demo
 * project, and the labelled demo model, wired so that a mention from the printed `curl` line
 * ends in a merge request written by the demo model.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../demo/start-demo.ts';
import { ensureTestTools, testToolCacheDir } from '../helpers/agent-tools.ts';

const alice = 'glpat-alice-api-token-0001';

let demo: Demo;
let dataDir: string;

async function forge(route: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(`${demo.forgeUrl}/api/v4${route}`, {
    ...init,
    headers: { 'PRIVATE-TOKEN': alice, 'content-type': 'application/json' },
  });
  expect(response.ok, `${route}: ${response.status}`).toBe(true);
  return response.json();
}

beforeAll(async () => {
  await ensureTestTools(['claude']);
  dataDir = await mkdtemp(path.join(tmpdir(), 'baton-demo-'));
  // Run uids must traverse it to reach their workspaces (mkdtemp makes it owner-only).
  await chmod(dataDir, 0o711);
  demo = await startDemo({
    env: { BATON_DATA_DIR: dataDir, BATON_TOOL_CACHE_DIR: testToolCacheDir() },
    ports: { baton: 0, forge: 0 },
    quiet: true,
  });
}, 600_000);

afterAll(async () => {
  await demo.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the demo', () => {
  it('starts the demo model, labelled as such, when no provider key is configured', () => {
    expect(demo.model).not.toBeNull();
  });

  it('answers a mention of the demo agent with a merge request from the demo model', async () => {
    const { services } = demo.server;
    const before = await services.runs.list();
    expect(before).toEqual([]);
    await forge('/projects/demo%2Fapp/issues/1/notes', {
      method: 'POST',
      body: JSON.stringify({ body: '@claude-agent please add a short CONTRIBUTING.md' }),
    });
    const run = await waitForOneRun(demo);
    expect(run.status, run.failure ?? '').toBe('succeeded');
    const mrs = (await forge('/projects/demo%2Fapp/merge_requests?state=opened')) as {
      description: string;
      source_branch: string;
    }[];
    const mr = mrs.find((m) => m.source_branch === `workloads/${run.id}`);
    expect(mr?.description).toContain("This is Baton's demo model, not a real AI model");
  }, 300_000);
});

/** Waits until every stored delivery (and the start job it queued) is processed. */
async function processed(d: Demo): Promise<void> {
  const { services } = d.server;
  let seen = '0';
  for (;;) {
    await d.forge.deliveries.idle();
    const rows = await services.database.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('id', '>', seen)
      .orderBy('id')
      .execute();
    const last = rows.at(-1);
    if (!last) return;
    seen = last.id;
    await Promise.all(rows.map((row) => services.worker.result(row.id)));
  }
}

/** The demo's one run, once it has ended and its final note is written (driven by its events). */
async function waitForOneRun(d: Demo) {
  const { services } = d.server;
  await processed(d);
  const [run] = await services.runs.list();
  if (!run) throw new Error('the mention queued no run');
  await new Promise<void>((resolve) => {
    const check = () => {
      void services.logs.snapshot(run.id).then((snapshot) => {
        if (snapshot.end === undefined) return;
        unsubscribe();
        resolve();
      });
    };
    const unsubscribe = services.events.subscribe(run.id, check);
    check();
  });
  const ended = await services.runs.get(run.id);
  if (!ended) throw new Error('the run disappeared');
  return ended;
}
