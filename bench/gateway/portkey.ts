/**
 * Portkey's open-source AI gateway, the comparison: installed on demand into `bench/.portkey/`
 * (git-ignored by its own `.gitignore`, never in Baton's package.json) and started as a plain
 * local Node server. Version and pin as checked in research/portkey-check.md: 1.15.2, with
 * `@hono/node-server` held at 1.14.1 (later versions break every streamed reply).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const portkeyVersion = '1.15.2';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.portkey');
const entry = path.join(dir, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');

const manifest = `${JSON.stringify(
  {
    private: true,
    description: 'Portkey AI gateway for `npm run bench -- gateway`; installed by the bench',
    dependencies: { '@portkey-ai/gateway': portkeyVersion },
    overrides: { '@hono/node-server': '1.14.1' },
  },
  null,
  2,
)}\n`;

/** Installs Portkey unless this exact install is there already. */
export function ensurePortkey(log: (line: string) => void): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, '.gitignore'), '*\n');
  const manifestPath = path.join(dir, 'package.json');
  const current = existsSync(manifestPath) ? readFileSync(manifestPath, 'utf8') : '';
  if (current === manifest && existsSync(entry)) return;
  writeFileSync(manifestPath, manifest);
  log(`installing @portkey-ai/gateway@${portkeyVersion} into ${dir} (npm, ~5 s)…`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (!existsSync(entry)) throw new Error(`npm install did not produce ${entry}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface RunningPortkey {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts Portkey headless on a free port and waits (bounded) until it answers. */
export async function startPortkey(): Promise<RunningPortkey> {
  const port = await freePort();
  // Portkey listens on every interface and has no host option; only `--port=N` is honoured.
  const child: ChildProcess = spawn(process.execPath, [entry, `--port=${port}`, '--headless'], {
    cwd: dir,
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const response = await fetch(`${url}/`);
      if ((await response.text()).includes('AI Gateway says hey')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error('Portkey did not start within 20 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error('Portkey has no pid');
  return {
    url,
    pid,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
