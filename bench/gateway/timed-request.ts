import { request, type Agent } from 'node:http';

export interface Timing {
  status: number;
  /** From just before the request is written to the first byte of the body, ms. */
  firstByteMs: number;
  /** To the last byte of the body, ms. */
  totalMs: number;
  bytes: number;
}

export interface Target {
  url: URL;
  headers: Record<string, string>;
  body: string;
}

/** One POST on a keep-alive agent, timed to the first and the last body byte. */
export function timedRequest(agent: Agent, target: Target, timeoutMs = 10_000): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let firstByteMs = -1;
    let bytes = 0;
    const outgoing = request(
      {
        agent,
        host: target.url.hostname,
        port: target.url.port,
        path: `${target.url.pathname}${target.url.search}`,
        method: 'POST',
        headers: target.headers,
        timeout: timeoutMs,
      },
      (response) => {
        response.on('data', (chunk: Buffer) => {
          if (firstByteMs < 0) firstByteMs = performance.now() - start;
          bytes += chunk.length;
        });
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            firstByteMs,
            totalMs: performance.now() - start,
            bytes,
          });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('request timed out')));
    outgoing.on('error', reject);
    outgoing.end(target.body);
  });
}
