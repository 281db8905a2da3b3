import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Methods a benchmark child process serves over its IPC channel. */
export type Handlers = Record<string, (params: never) => unknown>;

interface Request {
  id: number;
  method: string;
  params: unknown;
}

type Response =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/**
 * Serves `handlers` to the parent process. The child exits when the parent goes away, so a
 * crashed or interrupted benchmark never leaves servers behind.
 */
export function serve(handlers: Handlers): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('a benchmark child must be started with an IPC channel');
  process.on('disconnect', () => {
    process.exit(0);
  });
  process.on('message', (message: Request) => {
    const handler = handlers[message.method] as ((params: unknown) => unknown) | undefined;
    void (async () => {
      let response: Response;
      try {
        if (handler === undefined) throw new Error(`unknown method ${message.method}`);
        response = { id: message.id, ok: true, result: await handler(message.params) };
      } catch (error) {
        const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
        response = { id: message.id, ok: false, error: text };
      }
      send(response);
    })();
  });
}

export interface Child<H extends Handlers> {
  readonly pid: number;
  call<K extends keyof H & string>(
    method: K,
    ...params: Parameters<H[K]> extends [] ? [] : [Parameters<H[K]>[0]]
  ): Promise<Awaited<ReturnType<H[K]>>>;
  /** Disconnects; the child exits by itself, and is killed if it has not after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `moduleUrl` in its own Node process (with this process's `--import tsx`). */
export function startChild<H extends Handlers>(moduleUrl: URL): Child<H> {
  const child: ChildProcess = fork(fileURLToPath(moduleUrl), [], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = true;
      for (const waiter of pending.values())
        waiter.reject(new Error(`benchmark child exited (${signal ?? String(code)})`));
      pending.clear();
      resolve();
    });
  });
  child.on('message', (message: Response) => {
    const waiter = pending.get(message.id);
    if (waiter === undefined) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new Error(message.error));
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${moduleUrl.pathname}`);
  return {
    pid,
    call(method, ...params) {
      if (exited) return Promise.reject(new Error('benchmark child has exited'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, method, params: params[0] } satisfies Request);
      });
    },
    async stop(graceMs = 5000) {
      if (exited) return;
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}
