import { chmod, chown, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { ForwardedPort } from './sandbox.ts';

export type ListenAddress =
  { path: string; owner?: { uid: number; gid: number } } | { host: string; port: number };

export interface ListeningServer {
  /** The TCP port actually bound (for `port: 0`), or undefined for a Unix socket. */
  readonly port: number | undefined;
  close(): Promise<void>;
}

/**
 * Listens where a sandbox can connect and serves connections with `handle`. A Unix socket is made
 * connectable by the run's uid only: connecting needs write permission on the socket file.
 */
export async function listenFor(
  address: ListenAddress,
  handle: (socket: Socket) => void,
): Promise<ListeningServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('path' in address) server.listen(address.path, resolve);
    else server.listen(address.port, address.host, resolve);
  });
  server.on('error', () => undefined);
  if ('path' in address && address.owner !== undefined) {
    await chown(address.path, address.owner.uid, address.owner.gid);
    await chmod(address.path, 0o600);
  }
  const bound = server.address();
  return {
    port: typeof bound === 'object' && bound !== null ? bound.port : undefined,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      if ('path' in address) await rm(address.path, { force: true });
    },
  };
}

/** Pipes one accepted connection to where Baton serves the forwarded service. */
export function pipeTo(target: ForwardedPort['target']): (socket: Socket) => void {
  return (socket) => {
    const upstream =
      'socketPath' in target
        ? createConnection(target.socketPath)
        : createConnection(target.port, target.host);
    const closeBoth = (): void => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', closeBoth);
    upstream.on('error', closeBoth);
    socket.pipe(upstream).pipe(socket);
  };
}
