/**
 * `npm run bench -- run-start`: a mention in GitLab → the flow's first command running in the
 * bubblewrap sandbox (its output in Baton's run log), for a small repository and a ~50 MB one
 * with a warm mirror; one run at a time and 10 at once; the time spent in each step; against a
 * same-run floor (a private clone of the warm mirror + `echo` spawned plainly and sandboxed).
 * Three processes: this one, Baton (`run-start/baton-process.ts`) and the development forge
 * (`intake/forge-process.ts`).
 */
import { intOption } from './support/bench-options.ts';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { testPostgresUrl } from '../test/helpers/global-setup.ts';
import { flowPath, tokens } from './intake/forge-setup.ts';
import type { ForgeHandlers } from './intake/forge-process.ts';
import type { BatonHandlers, Engine, RunMarks } from './run-start/baton-process.ts';
import {
  addBatonHook,
  bigProjectPath,
  createIssues,
  mention,
  projectId,
  pushRandomContent,
  seedProjects,
  smallProjectPath,
} from './run-start/forge-projects.ts';
import { report, type Baseline, type Sample, type Series } from './run-start/report.ts';
import { startChild, type Child } from './support/child-rpc.ts';

interface Options {
  engine: Engine;
  runs: number;
  burst: number;
  sizeMb: number;
  baseline: number;
}

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      engine: { type: 'string', default: 'postgres' },
      runs: { type: 'string', default: '20' },
      burst: { type: 'string', default: '10' },
      'size-mb': { type: 'string', default: '50' },
      baseline: { type: 'string', default: '10' },
    },
    strict: true,
  });
  const int = intOption;
  if (values.engine !== 'postgres' && values.engine !== 'pglite')
    throw new Error('--engine must be postgres or pglite');
  return {
    engine: values.engine,
    runs: int('runs', values.runs, 1, 200),
    burst: int('burst', values.burst, 1, 50),
    sizeMb: int('size-mb', values['size-mb'], 1, 500),
    baseline: int('baseline', values.baseline, 1, 100),
  };
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
/** Bound on one mention's whole run (start, flow, final note). */
const runTimeoutMs = 60_000;

interface Mentioned {
  discussionId: string;
  sentAt: number;
  noteCreatedAt: number;
}

interface Context {
  forgeUrl: string;
  baton: Child<BatonHandlers>;
  problems: string[];
}

/** Opens threads on `iids` at once, waits (bounded) for their runs to end; one sample per run. */
async function mentionAndWait(
  ctx: Context,
  path: string,
  iids: readonly number[],
  label: string,
): Promise<{ mentioned: Mentioned[]; marks: RunMarks[] }> {
  const mentioned = await Promise.all(
    iids.map(async (iid, i) => {
      const sentAt = nowMs();
      const discussionId = await mention(ctx.forgeUrl, path, iid, `${label} ${i}`);
      return { discussionId, sentAt, noteCreatedAt: nowMs() };
    }),
  );
  const waited = await ctx.baton.call('waitForRuns', {
    discussionIds: mentioned.map((m) => m.discussionId),
    timeoutMs: runTimeoutMs,
  });
  if (!waited.complete)
    ctx.problems.push(
      `${path} ${label}: ${waited.marks.filter((m) => m.finished !== undefined).length} of ${iids.length} runs finished within ${runTimeoutMs / 1000} s`,
    );
  for (const m of waited.marks) {
    if (m.outcome !== undefined && m.outcome !== 'succeeded')
      ctx.problems.push(`${path} ${label}: run ${m.runId} ${m.outcome}`);
    if (m.finished !== undefined && m.marker === undefined)
      ctx.problems.push(`${path} ${label}: run ${m.runId} never logged the marker`);
  }
  return { mentioned, marks: waited.marks };
}

function toSamples(
  runs: readonly { mentioned: Mentioned[]; marks: RunMarks[] }[],
  placeholders: Map<string, number>,
): Sample[] {
  const samples: Sample[] = [];
  for (const { mentioned, marks } of runs) {
    const byDiscussion = new Map(marks.map((m) => [m.discussionId, m]));
    for (const m of mentioned) {
      const run = byDiscussion.get(m.discussionId);
      const placeholder = placeholders.get(m.discussionId);
      if (run?.marker === undefined || placeholder === undefined) continue;
      const { claimed, workspaceDone, sandboxStarted, marker, queued } = run;
      if (claimed === undefined || workspaceDone === undefined || sandboxStarted === undefined)
        continue;
      samples.push({
        total: marker - m.sentAt,
        steps: [
          m.noteCreatedAt - m.sentAt,
          placeholder - m.noteCreatedAt,
          queued - placeholder,
          claimed - queued,
          workspaceDone - claimed,
          sandboxStarted - workspaceDone,
          marker - sandboxStarted,
        ],
      });
    }
  }
  return samples;
}

function version(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trim().split('\n')[0] ?? '?';
  } catch {
    return 'not found';
  }
}

export async function main(args: string[]): Promise<number> {
  const options = parseOptions(args);
  const guard = setTimeout(() => {
    console.error('bench run-start: gave up after 10 minutes');
    process.exit(1);
  }, 600_000);
  guard.unref();
  const cpu = cpus();
  const loadStart = loadavg();
  console.log('bench run-start — mention → flow command running in the sandbox');
  console.log(
    `  cores: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown'}; node ${process.version}`,
  );
  console.log(
    `  ${version('git', ['--version'])}; bubblewrap ${version('bwrap', ['--version'])}; database ${options.engine}`,
  );
  console.log(
    `  load average at start (1/5/15 min): ${loadStart.map((l) => l.toFixed(2)).join(' / ')}`,
  );

  const forge = startChild<ForgeHandlers>(new URL('./intake/forge-process.ts', import.meta.url));
  const baton = startChild<BatonHandlers>(new URL('./run-start/baton-process.ts', import.meta.url));
  const problems: string[] = [];
  try {
    const { url: forgeUrl } = await forge.call('start');
    await seedProjects(forgeUrl);
    process.stdout.write(`  pushing ${options.sizeMb} MiB of random files to ${bigProjectPath}…\n`);
    const pushed = await pushRandomContent(forgeUrl, bigProjectPath, options.sizeMb);
    const secret = randomBytes(16).toString('hex');
    const { batonUrl } = await baton.call('start', {
      engine: options.engine,
      postgresUrl: testPostgresUrl,
      forgeUrl,
      webhookSecret: secret,
      serviceAccount: { username: 'claude-agent', token: tokens['claude-agent'] },
      projectPaths: [smallProjectPath, bigProjectPath],
      flowPath,
      maxConcurrent: Math.max(options.burst, 4),
    });
    const ctx: Context = { forgeUrl, baton, problems };
    // Records when each of Baton's replies (the placeholder) reaches the forge, per thread.
    await forge.call('record', true);
    const repos = [
      { name: `small (${smallProjectPath})`, path: smallProjectPath },
      { name: `${options.sizeMb} MiB (${bigProjectPath})`, path: bigProjectPath },
    ];
    const measured: {
      name: string;
      sequential: { mentioned: Mentioned[]; marks: RunMarks[] }[];
      burst: { mentioned: Mentioned[]; marks: RunMarks[] }[];
      baseline: Baseline;
      profile: Series['profile'];
      warmupMs: number;
    }[] = [];
    for (const repo of repos) {
      await addBatonHook(forgeUrl, repo.path, `${batonUrl}/webhooks/gitlab/devforge`, secret);
      const burstIssues = await createIssues(forgeUrl, repo.path, options.burst);
      process.stdout.write(`  [${repo.name}] warm-up run (creates the mirror)…\n`);
      const warm = await mentionAndWait(ctx, repo.path, [1], 'warm-up');
      const warmMark = warm.marks[0];
      const warmSent = warm.mentioned[0]?.sentAt ?? Number.NaN;
      process.stdout.write(`  [${repo.name}] floor: clone + echo, ${options.baseline}×…\n`);
      const baseline = await baton.call('baseline', {
        projectId: await projectId(forgeUrl, repo.path),
        count: options.baseline,
      });
      process.stdout.write(`  [${repo.name}] ${options.runs} runs one at a time…\n`);
      const sequential = [];
      await baton.call('resetProfile');
      for (let i = 0; i < options.runs; i += 1)
        sequential.push(await mentionAndWait(ctx, repo.path, [1], `sequential ${i}`));
      const sequentialProfile = await baton.call('profile');
      process.stdout.write(`  [${repo.name}] ${options.burst} runs at once…\n`);
      await baton.call('resetProfile');
      const burst = [await mentionAndWait(ctx, repo.path, burstIssues, 'burst')];
      const burstProfile = await baton.call('profile');
      measured.push({
        name: repo.name,
        sequential,
        burst,
        baseline,
        profile: { sequential: sequentialProfile, burst: burstProfile },
        warmupMs: (warmMark?.marker ?? Number.NaN) - warmSent,
      });
    }
    await forge.call('idle');
    const { arrivals } = await forge.call('arrivals');
    const placeholders = new Map(
      arrivals.map(([id, ns]) => [id as string, Number(BigInt(ns as string)) / 1e6]),
    );
    const series: Series[] = measured.map((m) => ({
      name: m.name,
      warmupMs: m.warmupMs,
      sequential: toSamples(m.sequential, placeholders),
      burst: toSamples(m.burst, placeholders),
      baseline: m.baseline,
      profile: m.profile,
    }));
    for (const s of series) {
      if (s.sequential.length < options.runs || s.burst.length < options.burst)
        problems.push(
          `${s.name}: only ${s.sequential.length}/${options.runs} sequential and ${s.burst.length}/${options.burst} concurrent runs had every step marked`,
        );
    }
    console.log('');
    for (const line of report(series, {
      runs: options.runs,
      burst: options.burst,
      pushMs: pushed.ms,
    }))
      console.log(line);
  } finally {
    await baton.call('close').catch((error: unknown) => {
      console.error(`closing Baton failed: ${String(error)}`);
    });
    await forge.call('close').catch(() => undefined);
    await Promise.all([baton.stop(), forge.stop()]);
  }
  console.log(
    `\n  load average at end (1/5/15 min): ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}`,
  );
  if (problems.length > 0) {
    console.error('\nSomething broke:');
    for (const problem of problems) console.error(`  - ${problem}`);
    return 1;
  }
  return 0;
}
