import { watch } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { SandboxLimits } from '../sandbox.ts';
import type { CgroupLayout } from './cgroup-layout.ts';

export interface CgroupStats {
  oomKills: number;
  memoryPeakBytes: number | undefined;
  pidsLimitHits: number;
}

const cpuPeriodUs = 100_000;

async function readCounter(file: string, key: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return match === null ? 0 : Number(match[1]);
}

async function readNumber(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const value = text === undefined ? NaN : Number(text.trim());
  return Number.isFinite(value) ? value : undefined;
}

/** Enables the controllers a v2 parent must hand to its children; moves Baton out of the way if needed. */
export async function prepareV2Parent(parent: string): Promise<void> {
  const wanted = ['memory', 'pids', 'cpu'];
  const enabled = (await readFile(join(parent, 'cgroup.subtree_control'), 'utf8')).split(/\s+/);
  if (wanted.every((name) => enabled.includes(name))) return;
  // The no-internal-processes rule: a cgroup with processes cannot enable controllers for children.
  const leaf = join(parent, 'baton-server');
  await mkdir(leaf, { recursive: true });
  const procs = (await readFile(join(parent, 'cgroup.procs'), 'utf8')).split('\n').filter(Boolean);
  for (const pid of procs) await writeFile(join(leaf, 'cgroup.procs'), pid).catch(() => undefined);
  await writeFile(
    join(parent, 'cgroup.subtree_control'),
    wanted.map((name) => `+${name}`).join(' '),
  );
}

/** One run's cgroups: created with its limits, killed atomically, removed when empty. */
export class RunCgroup {
  private constructor(
    private readonly layout: CgroupLayout,
    private readonly dirs: {
      memory: string;
      pids: string;
      cpu: string;
      unified: string | undefined;
    },
  ) {}

  static async create(
    layout: CgroupLayout,
    name: string,
    limits: SandboxLimits,
  ): Promise<RunCgroup> {
    const dirs =
      layout.kind === 'v2'
        ? {
            memory: join(layout.parent, name),
            pids: join(layout.parent, name),
            cpu: join(layout.parent, name),
            unified: join(layout.parent, name),
          }
        : {
            memory: join(layout.memory, name),
            pids: join(layout.pids, name),
            cpu: join(layout.cpu, name),
            unified: layout.unified === undefined ? undefined : join(layout.unified, name),
          };
    const cgroup = new RunCgroup(layout, dirs);
    try {
      for (const dir of cgroup.allDirs()) await mkdir(dir);
      await cgroup.writeLimits(limits);
    } catch (error) {
      await cgroup.remove();
      throw error;
    }
    return cgroup;
  }

  private allDirs(): string[] {
    return [
      ...new Set([this.dirs.memory, this.dirs.pids, this.dirs.cpu, this.dirs.unified]),
    ].filter((dir): dir is string => dir !== undefined);
  }

  private async writeLimits(limits: SandboxLimits): Promise<void> {
    const quota = Math.max(1000, Math.round((cpuPeriodUs * limits.cpuPercent) / 100));
    if (this.layout.kind === 'v2') {
      const dir = this.dirs.memory;
      await writeFile(join(dir, 'memory.max'), String(limits.memoryBytes));
      await writeFile(join(dir, 'memory.swap.max'), '0').catch(() => undefined);
      await writeFile(join(dir, 'pids.max'), String(limits.pids));
      await writeFile(join(dir, 'cpu.max'), `${quota} ${cpuPeriodUs}`);
      return;
    }
    await writeFile(join(this.dirs.memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    // Absent when swap accounting is off; then there is no swap to limit.
    await writeFile(
      join(this.dirs.memory, 'memory.memsw.limit_in_bytes'),
      String(limits.memoryBytes),
    ).catch(() => undefined);
    await writeFile(join(this.dirs.pids, 'pids.max'), String(limits.pids));
    await writeFile(join(this.dirs.cpu, 'cpu.cfs_period_us'), String(cpuPeriodUs));
    await writeFile(join(this.dirs.cpu, 'cpu.cfs_quota_us'), String(quota));
  }

  /** The files a launcher writes its own pid into before exec'ing the sandbox. */
  procsFiles(): string[] {
    return this.allDirs().map((dir) => join(dir, 'cgroup.procs'));
  }

  async pids(): Promise<number[]> {
    const text = await readFile(join(this.dirs.pids, 'cgroup.procs'), 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map(Number);
  }

  /** Kills every process of the run at once; without cgroup.kill, signals them until none is left. */
  async kill(): Promise<void> {
    if (this.dirs.unified !== undefined) {
      await writeFile(join(this.dirs.unified, 'cgroup.kill'), '1').catch(() => undefined);
      return;
    }
    // A fork bomb can fork between reads; pids.max bounds how many are left each round.
    for (let round = 0; round < 100; round += 1) {
      const pids = await this.pids();
      if (pids.length === 0) return;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
  }

  /** Resolves once no process is left, waiting on cgroup.events where the kernel offers it. */
  async waitEmpty(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const eventsFile =
      this.dirs.unified === undefined ? undefined : join(this.dirs.unified, 'cgroup.events');
    const empty = async (): Promise<boolean> =>
      eventsFile === undefined
        ? (await this.pids()).length === 0
        : (await readCounter(eventsFile, 'populated')) === 0;
    if (await empty()) return true;
    if (eventsFile === undefined) {
      while (Date.now() < deadline) {
        await delay(10);
        if (await empty()) return true;
      }
      return false;
    }
    return new Promise<boolean>((resolve) => {
      const finish = (value: boolean): void => {
        watcher.close();
        clearTimeout(timer);
        resolve(value);
      };
      const check = (): void => {
        void empty().then((isEmpty) => {
          if (isEmpty) finish(true);
        });
      };
      const watcher = watch(eventsFile, check);
      const timer = setTimeout(() => void empty().then(finish), Math.max(0, deadline - Date.now()));
      check();
    });
  }

  async stats(): Promise<CgroupStats> {
    const v2 = this.layout.kind === 'v2';
    return {
      oomKills: v2
        ? await readCounter(join(this.dirs.memory, 'memory.events'), 'oom_kill')
        : await readCounter(join(this.dirs.memory, 'memory.oom_control'), 'oom_kill'),
      memoryPeakBytes: await readNumber(
        join(this.dirs.memory, v2 ? 'memory.peak' : 'memory.max_usage_in_bytes'),
      ),
      pidsLimitHits: await readCounter(join(this.dirs.pids, 'pids.events'), 'max'),
    };
  }

  /** Removes the run's cgroups; a cgroup whose last process is still exiting is retried briefly. */
  async remove(): Promise<void> {
    for (const dir of this.allDirs().reverse()) {
      for (let attempt = 0; ; attempt += 1) {
        try {
          await rmdir(dir);
          break;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || attempt >= 50) break;
          await delay(20);
        }
      }
    }
  }
}
