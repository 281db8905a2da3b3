import type { FileDiff } from './repository-store.ts';

interface RawChange {
  aMode: string;
  bMode: string;
  status: string;
  oldPath: string;
  newPath: string;
}

/** GitLab reports an absent side's mode as "0", git as "000000". */
function gitLabMode(mode: string): string {
  return /^0+$/.test(mode) ? '0' : mode;
}

function parseRawSection(raw: string): RawChange[] {
  const tokens = raw.split('\0');
  const changes: RawChange[] = [];
  let index = 0;
  while (index < tokens.length) {
    const meta = tokens[index++] ?? '';
    if (!meta.startsWith(':')) continue;
    const [aMode = '', bMode = '', , , status = ''] = meta.slice(1).split(' ');
    const first = tokens[index++] ?? '';
    const twoPaths = status.startsWith('R') || status.startsWith('C');
    const second = twoPaths ? (tokens[index++] ?? '') : first;
    changes.push({ aMode, bMode, status, oldPath: first, newPath: second });
  }
  return changes;
}

/**
 * Splits `git diff -z --raw -p` output into GitLab's per-file shape. Both sections list the file
 * pairs in the same order, so the n-th `diff --git` section belongs to the n-th raw record; paths
 * come from the raw section, where -z leaves them unquoted.
 */
export function parseGitDiff(output: Buffer): FileDiff[] {
  const text = output.toString('utf8');
  const boundary = text.indexOf('\0\0');
  const rawText = boundary < 0 ? text : text.slice(0, boundary + 1);
  const patchText = boundary < 0 ? '' : text.slice(boundary + 2);
  const patches = patchText.split(/^(?=diff --git )/m).filter((part) => part.length > 0);
  return parseRawSection(rawText).map((change, position) => ({
    oldPath: change.oldPath,
    newPath: change.newPath,
    aMode: gitLabMode(change.aMode),
    bMode: gitLabMode(change.bMode),
    diff: hunksOf(patches[position] ?? ''),
    newFile: change.status === 'A',
    renamedFile: change.status.startsWith('R'),
    deletedFile: change.status === 'D',
  }));
}

/** Drops the header lines; keeps hunks, or the "Binary files … differ" line git writes instead. */
function hunksOf(patch: string): string {
  const hunk = /^@@ /m.exec(patch);
  if (hunk) return patch.slice(hunk.index);
  const binary = /^Binary files .* differ\n/m.exec(patch);
  return binary ? binary[0] : '';
}
