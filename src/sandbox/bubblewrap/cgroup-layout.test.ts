import { describe, expect, it } from 'vitest';
import { detectCgroupLayout, type CgroupSources } from './cgroup-layout.ts';

function sources(selfCgroup: string, files: Record<string, string>): CgroupSources {
  return {
    selfCgroup,
    root: '/sys/fs/cgroup',
    exists: (path) => path in files,
    read: (path) => files[path] ?? '',
  };
}

describe('cgroup layout detection', () => {
  it("uses Baton's own v1 cgroups and the unified hierarchy on a hybrid host", () => {
    const self = '9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n';
    const layout = detectCgroupLayout(
      sources(self, {
        '/sys/fs/cgroup/memory': '',
        '/sys/fs/cgroup/pids': '',
        '/sys/fs/cgroup/cpu': '',
        '/sys/fs/cgroup/unified/cgroup.procs': '',
      }),
    );
    expect(layout).toEqual({
      kind: 'v1',
      memory: '/sys/fs/cgroup/memory/process_api/abc',
      pids: '/sys/fs/cgroup/pids',
      cpu: '/sys/fs/cgroup/cpu',
      unified: '/sys/fs/cgroup/unified',
    });
  });

  it('understands joined controllers such as cpu,cpuacct', () => {
    const self = '5:cpu,cpuacct:/baton\n4:memory:/baton\n3:pids:/baton\n';
    const layout = detectCgroupLayout(
      sources(self, {
        '/sys/fs/cgroup/memory': '',
        '/sys/fs/cgroup/pids': '',
        '/sys/fs/cgroup/cpu': '',
      }),
    );
    expect(layout).toMatchObject({
      kind: 'v1',
      cpu: '/sys/fs/cgroup/cpu/baton',
      unified: undefined,
    });
  });

  it('uses v2 when the unified root offers the memory controller', () => {
    const layout = detectCgroupLayout(
      sources('0::/system.slice/baton.service\n', {
        '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory pids',
      }),
    );
    expect(layout).toEqual({ kind: 'v2', parent: '/sys/fs/cgroup/system.slice/baton.service' });
  });

  it('explains when no usable hierarchy exists', () => {
    expect(detectCgroupLayout(sources('0::/\n', {}))).toMatch(
      /no cgroup v2 with the memory controller/,
    );
  });
});
