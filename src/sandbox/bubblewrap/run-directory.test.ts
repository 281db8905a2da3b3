import { lstat, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isCi } from '../../config/load-config.ts';
import { chownTree } from './run-directory.ts';

const asRoot = process.getuid?.() === 0;
let roots: string[] = [];

afterEach(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
  roots = [];
});

describe('chownTree', () => {
  it('gives every file, directory and link to the uid, and nothing a link points at', async (context) => {
    // Changing owners needs root, as Baton runs; under CI this must not be skipped.
    if (!asRoot) {
      if (isCi()) throw new Error('chownTree is tested as root (Baton runs as root)');
      context.skip();
    }
    const root = await mkdtemp(join(tmpdir(), 'baton-chown-'));
    roots.push(root);
    const outside = join(root, 'host-file');
    const outsideDir = join(root, 'host-dir');
    await writeFile(outside, 'owned by root');
    await mkdir(outsideDir);
    await writeFile(join(outsideDir, 'inner'), 'owned by root');
    const workspace = join(root, 'workspace');
    await mkdir(join(workspace, 'src', 'deep'), { recursive: true });
    await writeFile(join(workspace, 'src', 'deep', 'file.txt'), 'x');
    await writeFile(join(workspace, 'README'), 'x');
    // A repository's links may point anywhere on the host.
    await symlink(outside, join(workspace, 'link-to-file'));
    await symlink(outsideDir, join(workspace, 'src', 'link-to-dir'));

    await chownTree(workspace, 200_777, 200_778);

    for (const path of ['', 'src', 'src/deep', 'src/deep/file.txt', 'README']) {
      expect((await stat(join(workspace, path))).uid, path).toBe(200_777);
      expect((await stat(join(workspace, path))).gid, path).toBe(200_778);
    }
    for (const link of ['link-to-file', 'src/link-to-dir']) {
      expect((await lstat(join(workspace, link))).uid, link).toBe(200_777);
    }
    for (const path of [outside, outsideDir, join(outsideDir, 'inner')]) {
      expect((await stat(path)).uid, path).toBe(0);
    }
  });

  it('says what failed when the tree is not there', async (context) => {
    if (!asRoot) {
      if (isCi()) throw new Error('chownTree is tested as root (Baton runs as root)');
      context.skip();
    }
    await expect(chownTree('/nonexistent/baton-workspace', 200_777, 200_777)).rejects.toThrow(
      /Could not give the workspace to the run's uid: .*nonexistent/,
    );
  });
});
