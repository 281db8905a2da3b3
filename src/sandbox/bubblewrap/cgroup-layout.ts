import { existsSync, readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';

/** Joins without the trailing slash a root path ('/') would leave. */
function join(...parts: string[]): string {
  return joinPath(...parts).replace(/(.)\/$/, '$1');
}

/**
 * Where per-run cgroups are created: v2 under a delegated subtree, or, on hybrid hosts like the
 * project's VMs, one directory per v1 controller under Baton's own cgroup of that controller, plus
 * the v2 `unified` hierarchy (no controllers needed) for `cgroup.kill` and `cgroup.events`.
 */
export type CgroupLayout =
  | { kind: 'v2'; parent: string }
  | { kind: 'v1'; memory: string; pids: string; cpu: string; unified: string | undefined };

export interface CgroupSources {
  /** Contents of /proc/self/cgroup. */
  selfCgroup: string;
  /** Mount root, normally /sys/fs/cgroup. */
  root: string;
  exists: (path: string) => boolean;
  read: (path: string) => string;
}

export function systemCgroupSources(): CgroupSources {
  return {
    selfCgroup: readFileSync('/proc/self/cgroup', 'utf8'),
    root: '/sys/fs/cgroup',
    exists: existsSync,
    read: (path) => readFileSync(path, 'utf8'),
  };
}

/** Maps each controller (and '' for the v2 hierarchy) to this process's path in it. */
function ownPaths(selfCgroup: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of selfCgroup.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (match === null) continue;
    const [, controllers = '', path = '/'] = match;
    if (controllers === '') paths.set('', path);
    for (const controller of controllers.split(','))
      if (controller !== '') paths.set(controller, path);
  }
  return paths;
}

/** Returns the layout, or a sentence saying why no usable cgroup hierarchy was found. */
export function detectCgroupLayout(sources: CgroupSources): CgroupLayout | string {
  const paths = ownPaths(sources.selfCgroup);
  const controllersFile = join(sources.root, 'cgroup.controllers');
  if (
    sources.exists(controllersFile) &&
    sources.read(controllersFile).split(/\s+/).includes('memory')
  ) {
    return { kind: 'v2', parent: join(sources.root, paths.get('') ?? '/') };
  }
  const v1 = (controller: string): string | undefined => {
    const own = paths.get(controller);
    const mount = join(sources.root, controller);
    return own !== undefined && sources.exists(mount) ? join(mount, own) : undefined;
  };
  const memory = v1('memory');
  const pids = v1('pids');
  const cpu = v1('cpu');
  if (memory === undefined || pids === undefined || cpu === undefined) {
    return 'no cgroup v2 with the memory controller and no cgroup v1 memory, pids and cpu hierarchies';
  }
  const unifiedMount = join(sources.root, 'unified');
  const unifiedOwn = paths.get('');
  const unified =
    unifiedOwn !== undefined && sources.exists(join(unifiedMount, 'cgroup.procs'))
      ? join(unifiedMount, unifiedOwn)
      : undefined;
  return { kind: 'v1', memory, pids, cpu, unified };
}
