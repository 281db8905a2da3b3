import { ms, ratio, summarize, table } from '../support/stats.ts';

/** One run: mention → marker, and the time between consecutive marks (same order as `steps`). */
export interface Sample {
  total: number;
  steps: number[];
}

/** The floor, ms per attempt: private clone of the warm mirror, `echo` plain and sandboxed. */
export interface Baseline {
  clone: number[];
  spawn: number[];
  sandbox: number[];
}

/** `[name, count, total ms]`, costliest first (CallTimings.entries). */
export type Calls = [string, number, number][];
export interface Profile {
  forge: Calls;
  git: Calls;
}

export interface Series {
  /** Baton's forge calls and git subcommands over each phase's runs (whole runs). */
  profile: { sequential: Profile; burst: Profile };
  name: string;
  /** The first run, which creates the mirror. */
  warmupMs: number;
  sequential: Sample[];
  burst: Sample[];
  baseline: Baseline;
}

export const targetP50Ms = 1000;

const steps = [
  'note POST → forge 201 (the note exists)',
  '→ placeholder reply at the forge (Note Hook, intake, worker)',
  '→ run queued (start job: flow file, accounts, notes, run row)',
  '→ claimed by the scheduler (preparing)',
  '→ workspace ready (project, mirror fetch, clone, baton.git)',
  '→ sandbox started (running, flow.sh, cgroups, chown, spawn)',
  '→ marker in the run log (bash, runner events, log append)',
];

const mean = (values: readonly number[]) =>
  values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;

function modes(series: readonly Series[], burst: number) {
  return series.flatMap((s) => [
    { label: `${s.name}, one at a time`, series: s, samples: s.sequential },
    { label: `${s.name}, ${burst} at once`, series: s, samples: s.burst },
  ]);
}

export function report(
  series: readonly Series[],
  context: { runs: number; burst: number; pushMs: number },
): string[] {
  const all = modes(series, context.burst);
  const latency = [['repository, mode', 'n', 'p50', 'p95', 'max', 'mean']];
  for (const m of all) {
    const t = summarize(m.samples.map((s) => s.total));
    latency.push([
      m.label,
      String(t.count),
      ms(t.p50),
      ms(t.p95),
      ms(t.max),
      ms(mean(m.samples.map((s) => s.total))),
    ]);
  }
  const warm = series.map((s) => `${s.name} ${ms(s.warmupMs)} ms`).join('; ');

  const shares = [['step: mean ms (share of the mean total), p50', ...all.map((m) => m.label)]];
  steps.forEach((name, i) => {
    shares.push([
      name,
      ...all.map((m) => {
        const values = m.samples.map((s) => s.steps[i] ?? Number.NaN);
        const share = mean(values) / mean(m.samples.map((s) => s.total));
        const p50 = summarize(values).p50;
        return `${ms(mean(values))} (${(share * 100).toFixed(0)}%) p50 ${ms(p50)}`;
      }),
    ]);
  });
  shares.push(['total', ...all.map((m) => `${ms(mean(m.samples.map((s) => s.total)))} (100%)`)]);

  const floor = [
    [
      'repository',
      'clone --no-hardlinks p50',
      'echo spawned p50',
      'echo sandboxed p50',
      'floor: clone + sandboxed',
      'Baton p50, one at a time',
      'Baton / floor',
    ],
  ];
  for (const s of series) {
    const clone = summarize(s.baseline.clone).p50;
    const sandboxed = summarize(s.baseline.sandbox).p50;
    const baton = summarize(s.sequential.map((x) => x.total)).p50;
    floor.push([
      s.name,
      ms(clone),
      ms(summarize(s.baseline.spawn).p50),
      ms(sandboxed),
      ms(clone + sandboxed),
      ms(baton),
      ratio(baton / (clone + sandboxed)),
    ]);
  }

  const verdicts = [['repository, mode', 'p50', 'target', 'verdict']];
  for (const m of all) {
    const p50 = summarize(m.samples.map((s) => s.total)).p50;
    verdicts.push([
      m.label,
      `${ms(p50)} ms`,
      `p50 < ${targetP50Ms} ms, warm mirror`,
      Number.isFinite(p50) ? (p50 < targetP50Ms ? 'PASS' : 'MISS') : 'n/a',
    ]);
  }

  const calls: string[] = [];
  for (const s of series) {
    const rows = [
      ['call', 'per run', `mean ms, one at a time`, `mean ms, ${context.burst} at once`],
    ];
    for (const kind of ['forge', 'git'] as const) {
      const burst = new Map(s.profile.burst[kind].map(([name, n, total]) => [name, total / n]));
      for (const [name, n, total] of s.profile.sequential[kind].slice(0, 8))
        rows.push([
          kind === 'forge' ? `forge ${name}` : name,
          (n / context.runs).toFixed(1),
          ms(total / n),
          ms(burst.get(name) ?? Number.NaN),
        ]);
    }
    calls.push(
      `Baton's forge calls and git subcommands, ${s.name} (wall time; whole runs, so publishing and the final note are in too):`,
      table(rows),
      '',
    );
  }

  return [
    'Mention → flow command running, ms (from just before alice POSTs the note to the forge to the',
    "moment Baton publishes the run-log line carrying the command's output; warm mirror):",
    table(latency),
    `  first run per repository (mirror created): ${warm}; pushing the big repository took ${ms(context.pushMs)} ms`,
    '',
    'Where the time goes (each step from the previous mark; a mean far above its p50 means a few slow runs):',
    table(shares),
    '',
    ...calls,
    'Same-run floor (what any run needs without Baton), ms:',
    table(floor),
    '',
    'Target:',
    table(verdicts),
  ];
}
