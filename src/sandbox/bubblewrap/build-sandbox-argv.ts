import type { SandboxSpec } from '../sandbox.ts';

/** Host tools the sandbox chain execs; absolute so that no PATH decides what runs as root. */
export const sandboxTools = {
  sh: '/bin/sh',
  prlimit: '/usr/bin/prlimit',
  setpriv: '/usr/bin/setpriv',
  bwrap: '/usr/bin/bwrap',
  socat: '/usr/bin/socat',
  chown: '/bin/chown',
} as const;

/** Where the run's socket directory appears inside the sandbox. */
export const socketDirInside = '/run/sbx';
export const homeInside = '/home/agent';
const defaultPath = '/usr/local/bin:/usr/bin:/bin';

/**
 * Runs as root on the host: joins the run's cgroups, then becomes the sandbox chain. Node cannot
 * spawn straight into a cgroup, and only this process's own pid is written, so no input reaches it.
 */
export const launcherScript =
  'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

/**
 * Runs inside the sandbox: starts one socat per forwarded port and execs the command only once
 * every forwarder listens, so the command never sees a refused connection. socat's log goes to a
 * FIFO read here until each "listening on" line, then drained so socat never blocks on it.
 */
export const forwarderScript = [
  'saved=$PATH; PATH=/usr/bin:/bin; socat=$1; shift',
  'f=/tmp/.sbx-forwarders; mkfifo -m 600 "$f" && exec 3<>"$f" && rm -f "$f" || exit 125',
  'n=0',
  'while [ "$1" != -- ]; do',
  '  "$socat" -d -d "TCP-LISTEN:$1,bind=127.0.0.1,fork,reuseaddr" "UNIX-CONNECT:$2" 2>&3 >/dev/null </dev/null &',
  '  n=$((n + 1)); shift 2',
  'done',
  'shift',
  'while [ "$n" -gt 0 ]; do',
  '  IFS= read -r line <&3 || exit 125',
  '  case $line in',
  '    *" listening on "*) n=$((n - 1)) ;;',
  '    *" E "*) echo "sandbox: a port forwarder failed: $line" >&2; exit 125 ;;',
  '  esac',
  'done',
  'cat <&3 >/dev/null &',
  'exec 3<&-',
  'PATH=$saved; unset PWD OLDPWD; exec "$@"',
].join('\n');

export interface SandboxLayout {
  uid: number;
  gid: number;
  cgroupProcsFiles: string[];
  /** Host directory of the run's Unix sockets, bound read-only at /run/sbx; absent without forwards. */
  socketDir: string | undefined;
  /** Socket file name inside socketDir per port inside the sandbox. */
  sockets: { port: number; file: string }[];
  passwdFile: string;
  groupFile: string;
  /** Existing host paths hidden behind empty tmpfs mounts (Baton's data, the runs root). */
  maskPaths: string[];
  /** Existing host files shown as empty (/dev/null) inside: Baton's configuration file. */
  maskFiles?: string[];
  /** Environment inside: everything else is cleared. */
  env: Record<string, string>;
}

export interface SandboxArgv {
  file: string;
  args: string[];
  /** bwrap options read from fd 3 (`--args 3`), so that environment values never show in `ps`. */
  bwrapOptions: string[];
}

/** Hosts that reach the sandbox's own loopback, where only forwarded ports listen. */
const loopbackHosts = '127.0.0.1,localhost,::1';

export function buildSandboxEnv(
  spec: SandboxSpec,
  proxyUrl: string | undefined,
): Record<string, string> {
  const env: Record<string, string> = { PATH: defaultPath, HOME: homeInside, ...spec.env };
  if (proxyUrl !== undefined) {
    for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'])
      env[name] = proxyUrl;
    // Loopback inside holds only what Baton forwards (its API and model gateway): never through
    // the proxy, which refuses internal addresses. Everything else goes through it.
    env['NO_PROXY'] = loopbackHosts;
    env['no_proxy'] = loopbackHosts;
  }
  return env;
}

function bwrapOptions(spec: SandboxSpec, layout: SandboxLayout): string[] {
  const tmpBytes = spec.limits.tmpBytes ?? Math.floor(spec.limits.memoryBytes / 4);
  const options = [
    ...[
      '--unshare-all',
      '--unshare-user',
      '--disable-userns',
      '--die-with-parent',
      '--new-session',
    ],
    ...['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'],
    ...['--size', String(tmpBytes), '--tmpfs', '/tmp'],
    ...[
      '--tmpfs',
      '/var/tmp',
      '--tmpfs',
      '/run',
      '--tmpfs',
      '/root',
      '--tmpfs',
      '/home',
      '--dir',
      homeInside,
    ],
    ...layout.maskPaths.flatMap((path) => ['--tmpfs', path]),
    ...(layout.maskFiles ?? []).flatMap((path) => ['--ro-bind', '/dev/null', path]),
    ...['--bind', spec.workspaceDir, spec.workspaceDir],
    ...(spec.readOnlyPaths ?? []).flatMap((path) => ['--ro-bind', path, path]),
    ...(layout.socketDir === undefined ? [] : ['--ro-bind', layout.socketDir, socketDirInside]),
    ...['--ro-bind', layout.passwdFile, '/etc/passwd', '--ro-bind', layout.groupFile, '/etc/group'],
    ...['--chdir', spec.workspaceDir, '--clearenv'],
  ];
  for (const [name, value] of Object.entries(layout.env)) options.push('--setenv', name, value);
  return options;
}

/** The whole chain: launcher → prlimit → setpriv (run uid, no capabilities) → bwrap → [forwarders] → command. */
export function buildSandboxArgv(spec: SandboxSpec, layout: SandboxLayout): SandboxArgv {
  const nofile = spec.limits.nofile ?? 1024;
  const fsize = spec.limits.fileSizeBytes ?? 1024 ** 3;
  const inner =
    layout.sockets.length === 0
      ? spec.command
      : [
          sandboxTools.sh,
          '-c',
          forwarderScript,
          'sbx-init',
          sandboxTools.socat,
          ...layout.sockets.flatMap((socket) => [
            String(socket.port),
            `${socketDirInside}/${socket.file}`,
          ]),
          '--',
          ...spec.command,
        ];
  const args = [
    '-c',
    launcherScript,
    'sbx-launch',
    ...layout.cgroupProcsFiles,
    '--',
    sandboxTools.prlimit,
    `--nofile=${nofile}:${nofile}`,
    `--fsize=${fsize}:${fsize}`,
    '--core=0:0',
    '--',
    sandboxTools.setpriv,
    `--reuid=${layout.uid}`,
    `--regid=${layout.gid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    '--',
    sandboxTools.bwrap,
    '--args',
    '3',
    '--',
    ...inner,
  ];
  return { file: sandboxTools.sh, args, bwrapOptions: bwrapOptions(spec, layout) };
}
