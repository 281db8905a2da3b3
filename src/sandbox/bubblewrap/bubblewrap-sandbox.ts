import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../errors/app-error.ts';
import type { Logger } from '../../logging/logger.ts';
import { createNetworkPolicyProxy, type ResolveHost } from '../network-policy-proxy.ts';
import {
  proxyPortInside,
  type Sandbox,
  type SandboxProbe,
  type SandboxProcess,
  type SandboxSpec,
} from '../sandbox.ts';
import { listenFor, pipeTo, type ListeningServer } from '../socket-forwarder.ts';
import { superviseProcess, type RunFacts } from '../supervise-process.ts';
import { assertValidSpec } from '../validate-sandbox-spec.ts';
import { buildSandboxArgv, buildSandboxEnv } from './build-sandbox-argv.ts';
import {
  detectCgroupLayout,
  systemCgroupSources,
  type CgroupLayout,
  type CgroupSources,
} from './cgroup-layout.ts';
import { probeBubblewrap } from './probe-bubblewrap.ts';
import { prepareV2Parent, RunCgroup } from './run-cgroup.ts';
import {
  assertReadOnlyPathUsable,
  assertWorkspaceUsable,
  chownTree,
  cleanRunDirectory,
  prepareRunDirectory,
} from './run-directory.ts';
import { UidPool } from './uid-pool.ts';

export interface BubblewrapSandboxOptions {
  /** Parent of every run's directory; hidden inside every sandbox. */
  runsRoot: string;
  /**
   * Host directories no run may see (Baton's data directory and code) are hidden behind empty
   * tmpfs; files (Baton's configuration file) read as empty.
   */
  maskPaths: string[];
  logger: Logger;
  /** First uid of the per-run pool; each run gets uid = gid = base + n. */
  uidBase?: number;
  uidCount?: number;
  /** The network policy proxy's resolver; real DNS unless a test injects one. */
  resolveHost?: ResolveHost;
  cgroupSources?: CgroupSources;
}

/** Time allowed for killed processes to leave the cgroup before its removal is given up on. */
const emptyTimeoutMs = 5000;

/** Default backend: cgroup + rlimits + per-run uid (setpriv) + bwrap with every namespace unshared. */
export class BubblewrapSandbox implements Sandbox {
  readonly name = 'bubblewrap' as const;
  private readonly uids: UidPool;
  private layout: Promise<CgroupLayout> | undefined;

  constructor(private readonly options: BubblewrapSandboxOptions) {
    this.uids = new UidPool(options.uidBase ?? 200_000, options.uidCount ?? 10_000);
    options.logger.info(
      { runsRoot: options.runsRoot, maskPaths: options.maskPaths },
      'bubblewrap sandbox ready',
    );
  }

  probe(): Promise<SandboxProbe> {
    return probeBubblewrap(this, this.options.runsRoot, () => this.cgroupLayout());
  }

  /** Detected once; on a v2 host this also delegates the controllers to per-run children. */
  cgroupLayout(): Promise<CgroupLayout> {
    this.layout ??= (async () => {
      const layout = detectCgroupLayout(this.options.cgroupSources ?? systemCgroupSources());
      if (typeof layout === 'string')
        throw new AppError('DEPENDENCY_MISSING', `Sandbox cgroups unusable: ${layout}`);
      if (layout.kind === 'v2') await prepareV2Parent(layout.parent);
      return layout;
    })();
    this.layout.catch(() => {
      this.layout = undefined;
    });
    return this.layout;
  }

  async start(spec: SandboxSpec): Promise<SandboxProcess> {
    assertValidSpec(spec);
    const layout = await this.cgroupLayout();
    const logger = this.options.logger.child({ runId: spec.runId, sandbox: 'bubblewrap' });
    const uid = this.uids.acquire();
    const cleanups: (() => Promise<void>)[] = [
      () => {
        this.uids.release(uid);
        return Promise.resolve();
      },
    ];
    const cleanUp = async (): Promise<void> => {
      for (const cleanup of cleanups.reverse()) {
        await cleanup().catch((error: unknown) => {
          logger.error({ err: error }, 'sandbox cleanup failed');
        });
      }
    };
    try {
      await mkdir(this.options.runsRoot, { recursive: true });
      const directory = await prepareRunDirectory(this.options.runsRoot, spec.runId, uid, uid);
      cleanups.push(() => cleanRunDirectory(directory));
      // After the run directory is handed to this run's uid: a retried run id had another uid before.
      await assertWorkspaceUsable(spec.workspaceDir, uid);
      for (const path of spec.readOnlyPaths ?? []) await assertReadOnlyPathUsable(path, uid);
      await chownTree(spec.workspaceDir, uid, uid);
      const servers = await this.serveSockets(spec, directory.socketDir, uid, logger);
      cleanups.push(async () => {
        for (const server of servers) await server.close();
      });
      const cgroup = await RunCgroup.create(
        layout,
        `baton-run-${spec.runId}-${randomBytes(3).toString('hex')}`,
        spec.limits,
      );
      cleanups.push(() => cgroup.remove());
      const sockets = [
        ...(spec.network === null ? [] : [{ port: proxyPortInside, file: 'proxy.sock' }]),
        ...spec.forwards.map((forward) => ({ port: forward.port, file: `${forward.name}.sock` })),
      ];
      const argv = buildSandboxArgv(spec, {
        uid,
        gid: uid,
        cgroupProcsFiles: cgroup.procsFiles(),
        socketDir: sockets.length === 0 ? undefined : directory.socketDir,
        sockets,
        passwdFile: directory.passwdFile,
        groupFile: directory.groupFile,
        ...(await existingPaths([...this.options.maskPaths, this.options.runsRoot]).then(
          (found) => ({ maskPaths: found.dirs, maskFiles: found.files }),
        )),
        env: buildSandboxEnv(
          spec,
          spec.network === null ? undefined : `http://127.0.0.1:${proxyPortInside}`,
        ),
      });
      // The launcher runs as root: it gets a fixed minimal environment, never Baton's.
      const child = spawn(argv.file, argv.args, {
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      });
      const optionsPipe = child.stdio[3];
      if (optionsPipe !== null && optionsPipe !== undefined && 'write' in optionsPipe) {
        optionsPipe.on('error', () => undefined);
        optionsPipe.end(Buffer.from(argv.bwrapOptions.map((option) => `${option}\0`).join('')));
      }
      logger.info(
        { uid, pid: child.pid, limits: spec.limits, forwards: sockets.length },
        'sandbox run started',
      );
      const killAll = async (): Promise<void> => {
        await cgroup.kill();
        child.kill('SIGKILL');
      };
      const finish = async (): Promise<RunFacts> => {
        try {
          await killAll();
          const empty = await cgroup.waitEmpty(emptyTimeoutMs);
          if (!empty) {
            // Keep the uid out of the pool: a process of it survived.
            cleanups.shift();
            logger.error({ uid }, 'sandbox processes survived the kill');
          }
          const stats = await cgroup.stats();
          return {
            oomKilled: stats.oomKills > 0,
            memoryPeakBytes: stats.memoryPeakBytes,
            pidsLimitHits: stats.pidsLimitHits,
          };
        } finally {
          await cleanUp();
        }
      };
      return superviseProcess(child, spec.limits, { killAll, finish }, logger);
    } catch (error) {
      await cleanUp();
      throw error;
    }
  }

  private async serveSockets(
    spec: SandboxSpec,
    socketDir: string,
    uid: number,
    logger: Logger,
  ): Promise<ListeningServer[]> {
    const owner = { uid, gid: uid };
    const servers: ListeningServer[] = [];
    try {
      if (spec.network !== null) {
        const proxy = createNetworkPolicyProxy({
          policy: spec.network,
          logger,
          ...(this.options.resolveHost === undefined ? {} : { resolve: this.options.resolveHost }),
        });
        const server = await listenFor(
          { path: join(socketDir, 'proxy.sock'), owner },
          proxy.handle,
        );
        servers.push({ port: undefined, close: async () => (proxy.close(), server.close()) });
      }
      for (const forward of spec.forwards) {
        servers.push(
          await listenFor(
            { path: join(socketDir, `${forward.name}.sock`), owner },
            pipeTo(forward.target),
          ),
        );
      }
      return servers;
    } catch (error) {
      for (const server of servers) await server.close();
      throw error;
    }
  }
}

/** The paths that exist, split into directories (hidden behind tmpfs) and files (behind /dev/null). */
async function existingPaths(paths: string[]): Promise<{ dirs: string[]; files: string[] }> {
  const found = { dirs: [] as string[], files: [] as string[] };
  for (const path of new Set(paths)) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory() === true) found.dirs.push(path);
    else if (info?.isFile() === true) found.files.push(path);
  }
  return found;
}
