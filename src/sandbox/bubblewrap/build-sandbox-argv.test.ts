import { describe, expect, it } from 'vitest';
import type { SandboxSpec } from '../sandbox.ts';
import { specProblems } from '../validate-sandbox-spec.ts';
import { buildSandboxArgv, buildSandboxEnv, type SandboxLayout } from './build-sandbox-argv.ts';

const spec: SandboxSpec = {
  runId: 'r1',
  workspaceDir: '/srv/runs/r1/workspace',
  command: ['claude', '-p', '$(rm -rf /); `x`'],
  env: { AI_FLOW_AI_GATEWAY_TOKEN: 'tok-secret' },
  limits: {
    memoryBytes: 1024 ** 3,
    pids: 256,
    cpuPercent: 100,
    wallMs: 7_200_000,
    outputBytes: 10_000_000,
  },
  forwards: [{ name: 'api', port: 8080, target: { host: '127.0.0.1', port: 3000 } }],
  network: { allowedDomains: ['registry.npmjs.org'], deniedDomains: [] },
};

const layout: SandboxLayout = {
  uid: 200_007,
  gid: 200_007,
  cgroupProcsFiles: ['/sys/fs/cgroup/pids/baton-run-r1-x/cgroup.procs'],
  socketDir: '/srv/runs/r1/sock',
  sockets: [
    { port: 3128, file: 'proxy.sock' },
    { port: 8080, file: 'api.sock' },
  ],
  passwdFile: '/srv/runs/r1/sandbox/passwd',
  groupFile: '/srv/runs/r1/sandbox/group',
  maskPaths: ['/var/lib/baton', '/srv/runs'],
  maskFiles: ['/etc/baton/baton.yaml'],
  env: buildSandboxEnv(spec, 'http://127.0.0.1:3128'),
};

describe('sandbox argv', () => {
  const argv = buildSandboxArgv(spec, layout);

  it('chains launcher, prlimit, setpriv to the run uid without capabilities, then bwrap', () => {
    expect(argv.file).toBe('/bin/sh');
    const chain = argv.args.filter((arg) => arg.startsWith('/usr/bin/'));
    expect(chain).toEqual([
      '/usr/bin/prlimit',
      '/usr/bin/setpriv',
      '/usr/bin/bwrap',
      '/usr/bin/socat',
    ]);
    for (const flag of [
      '--reuid=200007',
      '--regid=200007',
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
      '--core=0:0',
    ]) {
      expect(argv.args).toContain(flag);
    }
  });

  it('passes the command as argv, never through a shell string', () => {
    expect(argv.args.slice(-3)).toEqual(spec.command);
  });

  it('keeps environment values out of the command line (ps shows it to every host user)', () => {
    expect(argv.args.join(' ')).not.toContain('tok-secret');
    expect(argv.bwrapOptions).toContain('tok-secret');
  });

  it('masks Baton dirs before binding the workspace and sockets, and clears the environment', () => {
    const o = argv.bwrapOptions;
    for (const flag of [
      '--unshare-all',
      '--unshare-user',
      '--disable-userns',
      '--die-with-parent',
      '--new-session',
      '--clearenv',
    ]) {
      expect(o).toContain(flag);
    }
    const maskAt = o.indexOf('/srv/runs');
    const bindAt = o.indexOf('--bind');
    expect(o[maskAt - 1]).toBe('--tmpfs');
    expect(bindAt).toBeGreaterThan(maskAt);
    expect(o.slice(bindAt, bindAt + 3)).toEqual(['--bind', spec.workspaceDir, spec.workspaceDir]);
    expect(o.join(' ')).toContain('--ro-bind /srv/runs/r1/sock /run/sbx');
  });

  it("shows Baton's configuration file as empty inside", () => {
    expect(argv.bwrapOptions.join(' ')).toContain('--ro-bind /dev/null /etc/baton/baton.yaml');
  });

  it('forwards each socket to its port inside', () => {
    const at = argv.args.indexOf('/usr/bin/socat');
    expect(argv.args.slice(at + 1, at + 6)).toEqual([
      '3128',
      '/run/sbx/proxy.sock',
      '8080',
      '/run/sbx/api.sock',
      '--',
    ]);
  });

  it('sets the proxy variables, with only loopback (forwarded ports) around it, when a network policy is given', () => {
    expect(layout.env).toMatchObject({
      HTTPS_PROXY: 'http://127.0.0.1:3128',
      http_proxy: 'http://127.0.0.1:3128',
      NO_PROXY: '127.0.0.1,localhost,::1',
      no_proxy: '127.0.0.1,localhost,::1',
      HOME: '/home/agent',
    });
    expect(buildSandboxEnv({ ...spec, env: {} }, undefined)).toEqual({
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: '/home/agent',
    });
  });

  it('runs the command straight from bwrap when nothing is forwarded', () => {
    const plain = buildSandboxArgv(
      { ...spec, forwards: [], network: null },
      { ...layout, sockets: [], socketDir: undefined },
    );
    expect(plain.args).not.toContain('/usr/bin/socat');
    expect(plain.args.slice(plain.args.indexOf('/usr/bin/bwrap'))).toEqual([
      '/usr/bin/bwrap',
      '--args',
      '3',
      '--',
      ...spec.command,
    ]);
  });
});

describe('sandbox spec validation', () => {
  it('accepts a good spec', () => {
    expect(specProblems(spec)).toEqual([]);
  });

  it('refuses path-like run ids, bad env names, clashing ports and a relative workspace', () => {
    const problems = specProblems({
      ...spec,
      runId: '../x',
      workspaceDir: 'relative',
      env: { 'A=B': 'x' },
      forwards: [{ name: 'api', port: 3128, target: { socketPath: '/x.sock' } }],
    });
    expect(problems).toHaveLength(4);
  });
});
