/**
 * What `npm start` runs. A configured Baton (a baton.yaml, BATON_CONFIG or DATABASE_URL) starts
 * as `baton start` would. Without configuration it starts the demo: Baton on its embedded
 * database, the development forge with a demo project, and a demo model — a scripted stand-in,
 * clearly labelled, unless a real provider key is set.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startDemo } from './start-demo.ts';

const configured =
  existsSync('baton.yaml') ||
  process.env['BATON_CONFIG'] !== undefined ||
  process.env['DATABASE_URL'] !== undefined;

if (configured) {
  console.log('Baton is configured (baton.yaml, BATON_CONFIG or DATABASE_URL): starting it.');
  const cli = fileURLToPath(new URL('../src/app/cli.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'start'], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 1));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
} else {
  const demo = await startDemo({ env: process.env });
  const stop = () => {
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
