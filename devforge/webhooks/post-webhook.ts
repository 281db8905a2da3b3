import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface WebhookAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Posts one webhook with `node:http` over kept-alive connections, never following a redirect.
 * It replaced `fetch`, whose WHATWG streams and abort signals made each delivery cost about twice
 * the CPU; a benchmark's forge sends several hooks per mention on the machine it measures.
 */
export class WebhookPoster {
  readonly #http = new HttpAgent({ keepAlive: true, timeout: 4000, scheduling: 'lifo' });
  readonly #https = new HttpsAgent({ keepAlive: true, timeout: 4000, scheduling: 'lifo' });

  post(
    url: string,
    headers: Record<string, string>,
    body: string,
    options: { timeoutMs: number; maxBody: number },
  ): Promise<WebhookAnswer> {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    return new Promise<WebhookAnswer>((resolve, reject) => {
      let done = false;
      const fail = (error: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        request.destroy();
        reject(error);
      };
      const request = send(
        target,
        {
          method: 'POST',
          agent: secure ? this.#https : this.#http,
          headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          response.on('data', (chunk: Buffer) => {
            if (kept >= options.maxBody) return;
            chunks.push(chunk);
            kept += chunk.length;
          });
          response.on('error', fail);
          response.on('end', () => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            const answerHeaders: Record<string, string> = {};
            for (const [name, value] of Object.entries(response.headers).slice(0, 50)) {
              if (value !== undefined) answerHeaders[name] = [value].flat().join(', ');
            }
            resolve({
              status: response.statusCode ?? 0,
              headers: answerHeaders,
              body: Buffer.concat(chunks).toString('utf8').slice(0, options.maxBody),
            });
          });
        },
      );
      const timer = setTimeout(() => {
        fail(new Error(`no answer within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      request.on('error', fail);
      request.end(body);
    });
  }
}
