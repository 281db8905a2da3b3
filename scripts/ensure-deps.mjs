#!/usr/bin/env node
// Installs what Baton needs on a fresh Debian machine before `npm start` or `npm test` runs:
// npm dependencies (when package-lock.json changed since the last install) and Debian packages
// (as root with apt-get; otherwise it stops and prints the exact line to run).
// Only Node built-ins here: this runs before node_modules exists.
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const forTests = process.argv.includes('--test');

function fail(message) {
  process.stderr.write(`baton: ${message}\n`);
  process.exit(1);
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 18)) {
  fail(`Node.js 20.18 or newer is required; this is ${process.versions.node}.`);
}

// Debian packages: command to look for -> package that provides it.
// bwrap and socat: the local executor's sandbox and its socket forwarder (docs/architecture.md).
const runtimePackages = { git: 'git', bwrap: 'bubblewrap', socat: 'socat' };
// python-gitlab checks the development forge; chromium drives the web UI tests; strace records
// every connection an agent CLI attempts inside the sandbox (test/e2e/agents.test.ts).
const testPackages = { 'python-gitlab': 'gitlab-cli', chromium: 'chromium', strace: 'strace' };
const wanted = { ...runtimePackages, ...(forTests ? testPackages : {}) };

function hasCommand(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const missing = [
  ...new Set(
    Object.entries(wanted)
      .filter(([c]) => !hasCommand(c))
      .map(([, p]) => p),
  ),
];
if (missing.length > 0) {
  const line = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) fail(`missing Debian packages. Run:\n  sudo sh -c '${line}'`);
  process.stderr.write(`baton: installing Debian packages: ${missing.join(' ')}\n`);
  const result = spawnSync('sh', ['-c', line], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) fail(`apt-get failed. Run it yourself:\n  ${line}`);
}

const lockFile = path.join(root, 'package-lock.json');
const stamp = path.join(root, 'node_modules', '.baton-deps-stamp');
const lockHash = createHash('sha256').update(readFileSync(lockFile)).digest('hex');
const installed = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
if (installed !== lockHash) {
  process.stderr.write('baton: installing npm dependencies (npm ci)\n');
  try {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } catch {
    fail(`npm ci failed. Run it yourself in ${root}:\n  npm ci`);
  }
  writeFileSync(stamp, `${lockHash}\n`);
}
