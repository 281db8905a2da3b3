/**
 * The sandbox port: how an executor runs one flow's command isolated from Baton and from other
 * runs. `bubblewrap` is the default backend; `unsafe` exists for development only and is never
 * chosen automatically.
 */

export interface SandboxLimits {
  /** Memory cgroup limit (RAM + swap); tmpfs writes inside count against it. */
  memoryBytes: number;
  /** Maximum number of processes and threads alive at once (pids cgroup). */
  pids: number;
  /** CPU quota in percent of one core (200 = two cores). */
  cpuPercent: number;
  /** Wall-clock limit; the whole run is killed when it passes. */
  wallMs: number;
  /** stdout + stderr budget; the run is killed when it is exceeded. */
  outputBytes: number;
  /** RLIMIT_NOFILE; default 1024. */
  nofile?: number;
  /** RLIMIT_FSIZE: largest file the run may write; default 1 GiB. */
  fileSizeBytes?: number;
  /** Size of the private /tmp; default a quarter of `memoryBytes`. */
  tmpBytes?: number;
}

/** A service Baton offers inside the sandbox on 127.0.0.1:`port`, reached through a per-run Unix socket. */
export interface ForwardedPort {
  /** Lower-case letters, digits and dashes; names the per-run socket file. */
  name: string;
  /** Port on 127.0.0.1 inside the sandbox. */
  port: number;
  /** Where Baton serves it, outside the sandbox. */
  target: { socketPath: string } | { host: '127.0.0.1'; port: number };
}

/**
 * GitLab's `network_policy` semantics: exact names or `*.example.com` (subdomains only), the
 * denied list wins, `*` alone is refused.
 */
export interface NetworkPolicy {
  allowedDomains: string[];
  deniedDomains: string[];
}

export interface SandboxSpec {
  /** Letters, digits, `_` and `-`; names the run's cgroup and directory. */
  runId: string;
  /** Absolute path; bound read-write at the same path and used as the working directory. */
  workspaceDir: string;
  /** argv; never interpreted by a shell. */
  command: string[];
  /** The only environment inside, plus HOME, PATH and the proxy variables the sandbox sets. */
  env: Record<string, string>;
  limits: SandboxLimits;
  forwards: ForwardedPort[];
  /** null = no outbound proxy at all: only the forwarded ports are reachable. */
  network: NetworkPolicy | null;
  /** Extra read-only binds (same path inside), e.g. a tool cache under a masked directory. */
  readOnlyPaths?: string[];
}

export type SandboxEnd =
  | { reason: 'exited'; code: number }
  | { reason: 'signalled'; signal: string }
  | { reason: 'timeout' }
  | { reason: 'memory' }
  | { reason: 'output_limit' }
  | { reason: 'cancelled' };

export type SandboxResult = SandboxEnd & {
  durationMs: number;
  memoryPeakBytes?: number;
  /** How often a fork was refused because the pids limit was reached. */
  pidsLimitHits?: number;
};

export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  chunk: Buffer;
}

export interface SandboxProcess {
  /** Host pid of the outermost sandbox process. */
  readonly pid: number;
  /** stdout and stderr in arrival order, capped at `limits.outputBytes`; iterate once. */
  readonly output: AsyncIterable<OutputChunk>;
  /** Kills every process of the run; resolves once they are gone. */
  cancel(): Promise<void>;
  /** Settles once every process of the run is gone and its resources are released. */
  readonly ended: Promise<SandboxResult>;
}

export type SandboxProbe = { ok: true } | { ok: false; reason: string; fix: string };

export interface Sandbox {
  readonly name: 'bubblewrap' | 'unsafe';
  probe(): Promise<SandboxProbe>;
  start(spec: SandboxSpec): Promise<SandboxProcess>;
}

/** The port a run's outbound HTTP(S) proxy listens on inside the sandbox. */
export const proxyPortInside = 3128;
