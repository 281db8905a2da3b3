import { spawn } from 'node:child_process';
import type { Logger } from '../logging/logger.ts';
import { createNetworkPolicyProxy } from './network-policy-proxy.ts';
import type { Sandbox, SandboxProbe, SandboxProcess, SandboxSpec } from './sandbox.ts';
import { listenFor, pipeTo, type ListeningServer } from './socket-forwarder.ts';
import { superviseProcess } from './supervise-process.ts';
import { assertValidSpec } from './validate-sandbox-spec.ts';

/**
 * Development only: runs the command directly on the host, as Baton's own user, with a cleared
 * environment, the wall-clock limit, the output cap and a process-group kill, and nothing else.
 * Forwarded ports listen on the host's 127.0.0.1 and the proxy is advisory (the command can ignore
 * it). Never chosen automatically.
 */
export class UnsafeSandbox implements Sandbox {
  readonly name = 'unsafe' as const;

  constructor(private readonly logger: Logger) {
    logger.warn(
      { sandbox: 'unsafe' },
      'UNSAFE SANDBOX: agent runs get NO isolation (same user, same files, same network as Baton); development only',
    );
  }

  probe(): Promise<SandboxProbe> {
    return Promise.resolve({ ok: true });
  }

  async start(spec: SandboxSpec): Promise<SandboxProcess> {
    assertValidSpec(spec);
    const logger = this.logger.child({ runId: spec.runId, sandbox: 'unsafe' });
    const servers: ListeningServer[] = [];
    const env: Record<string, string> = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: spec.workspaceDir,
      ...spec.env,
    };
    try {
      for (const forward of spec.forwards) {
        servers.push(
          await listenFor({ host: '127.0.0.1', port: forward.port }, pipeTo(forward.target)),
        );
      }
      if (spec.network !== null) {
        const proxy = createNetworkPolicyProxy({ policy: spec.network, logger });
        const server = await listenFor({ host: '127.0.0.1', port: 0 }, proxy.handle);
        servers.push(server);
        const url = `http://127.0.0.1:${server.port ?? 0}`;
        Object.assign(env, {
          HTTP_PROXY: url,
          HTTPS_PROXY: url,
          http_proxy: url,
          https_proxy: url,
          NO_PROXY: '',
          no_proxy: '',
        });
      }
    } catch (error) {
      for (const server of servers) await server.close();
      throw error;
    }
    const [file = '', ...args] = spec.command;
    // Its own process group, so that one kill reaches the command's children too.
    const child = spawn(file, args, {
      cwd: spec.workspaceDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    logger.warn({ pid: child.pid }, 'unsafe sandbox run started without isolation');
    const killAll = (): Promise<void> => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
      return Promise.resolve();
    };
    const finish = async (): Promise<{ oomKilled: false }> => {
      await killAll();
      for (const server of servers) await server.close();
      return { oomKilled: false };
    };
    return superviseProcess(child, spec.limits, { killAll, finish }, logger);
  }
}
