import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { gitBaseEnvironment } from './run-git.ts';

export interface HttpBackendRequest {
  /** Directory holding the repository; PATH_INFO is resolved below it. */
  projectRoot: string;
  pathInfo: string;
  method: 'GET' | 'POST';
  queryString: string;
  contentType?: string;
  contentEncoding?: string;
  remoteUser?: string;
  remoteAddr: string;
  gitProtocol?: string;
  /** Bytes already read from the request body, sent before `body`. */
  prefix?: Buffer;
  body?: Readable;
  /** Extra environment for the backend and the hooks it runs. */
  env?: Record<string, string>;
}

export interface HttpBackendResponse {
  status: number;
  headers: Record<string, string>;
  /** Ends only after `afterExit` has settled, so work done there precedes the client's return. */
  body: Readable;
  exitCode: Promise<number>;
}

/**
 * Runs `git http-backend` as a CGI program. Resolves once the CGI headers are parsed; the body
 * streams on. `afterExit` runs when the backend has exited (its hooks with it) and before the
 * response body ends.
 */
export function runHttpBackend(
  request: HttpBackendRequest,
  afterExit: (exitCode: number) => Promise<void> = () => Promise.resolve(),
): Promise<HttpBackendResponse> {
  const env: Record<string, string> = {
    ...gitBaseEnvironment(),
    ...request.env,
    GIT_PROJECT_ROOT: request.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: request.pathInfo,
    REQUEST_METHOD: request.method,
    QUERY_STRING: request.queryString,
    REMOTE_ADDR: request.remoteAddr,
    GATEWAY_INTERFACE: 'CGI/1.1',
  };
  if (request.contentType !== undefined) env.CONTENT_TYPE = request.contentType;
  if (request.contentEncoding !== undefined) env.HTTP_CONTENT_ENCODING = request.contentEncoding;
  if (request.remoteUser !== undefined) env.REMOTE_USER = request.remoteUser;
  if (request.gitProtocol !== undefined) env.GIT_PROTOCOL = request.gitProtocol;

  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin.on('error', () => undefined);
  // No CONTENT_LENGTH is set: the backend reads the body to EOF, which also covers chunked uploads.
  if (request.prefix && request.prefix.length > 0) child.stdin.write(request.prefix);
  if (request.body && !request.body.readableEnded) {
    request.body.on('error', () => child.kill());
    request.body.pipe(child.stdin);
  } else {
    child.stdin.end();
  }

  const body = new PassThrough();
  const exitCode = new Promise<number>((resolve) => {
    child.on('close', (code) => {
      const finalCode = code ?? -1;
      afterExit(finalCode).then(
        () => body.end(),
        (error: unknown) => body.destroy(error instanceof Error ? error : new Error(String(error))),
      );
      resolve(finalCode);
    });
  });

  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    let settled = false;
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const crlf = head.indexOf('\r\n\r\n');
      const lf = head.indexOf('\n\n');
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
      if (end < 0) return;
      const separator = end === crlf ? 4 : 2;
      child.stdout.off('data', onData);
      const { status, headers } = parseCgiHeaders(head.subarray(0, end).toString('latin1'));
      body.write(head.subarray(end + separator));
      child.stdout.pipe(body, { end: false });
      settled = true;
      resolve({ status, headers, body, exitCode });
    };
    child.stdout.on('data', onData);
    child.on('error', (error) => {
      if (!settled) reject(error);
    });
    child.on('close', (code) => {
      if (settled) return;
      settled = true;
      reject(
        new Error(
          `git http-backend exited (${code ?? -1}) before its headers: ${Buffer.concat(stderr).toString('utf8').trim()}`,
        ),
      );
    });
  });
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
    else headers[name.toLowerCase()] = value;
  }
  return { status, headers };
}
