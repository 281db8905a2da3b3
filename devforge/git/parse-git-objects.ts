import type { CommitInfo } from './repository-store.ts';

export interface RawTreeEntry {
  mode: string;
  name: string;
  sha: string;
  type: 'tree' | 'blob' | 'commit';
}

/** Parses git's binary tree object (`<mode> <name>\0<20-byte id>` repeated). */
export function parseTreeObject(content: Buffer): RawTreeEntry[] {
  const entries: RawTreeEntry[] = [];
  let offset = 0;
  while (offset < content.length) {
    const space = content.indexOf(0x20, offset);
    const nul = content.indexOf(0x00, space);
    if (space < 0 || nul < 0 || nul + 21 > content.length) break;
    const rawMode = content.subarray(offset, space).toString('latin1');
    const mode = rawMode.padStart(6, '0');
    const name = content.subarray(space + 1, nul).toString('utf8');
    const sha = content.subarray(nul + 1, nul + 21).toString('hex');
    const type = mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
    entries.push({ mode, name, sha, type });
    offset = nul + 21;
  }
  return entries;
}

/** `<name> <<email>> <epoch> <±hhmm>` from a commit header. */
function parseIdentity(value: string): { name: string; email: string; date: string } {
  const match = /^(.*?) ?<([^>]*)> (\d+) ([+-]\d{4})$/.exec(value);
  if (!match) return { name: value, email: '', date: new Date(0).toISOString() };
  return {
    name: match[1] ?? '',
    email: match[2] ?? '',
    date: formatGitDate(Number(match[3]), match[4] ?? '+0000'),
  };
}

/** GitLab's timestamp shape: local time with milliseconds and the author's offset. */
export function formatGitDate(epochSeconds: number, offset: string): string {
  const sign = offset.startsWith('-') ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(3, 5)));
  const local = new Date(epochSeconds * 1000 + minutes * 60_000).toISOString().slice(0, 23);
  return `${local}${offset.slice(0, 3)}:${offset.slice(3, 5)}`;
}

export function parseCommitObject(sha: string, content: Buffer): CommitInfo {
  const text = content.toString('utf8');
  const split = text.indexOf('\n\n');
  const headerText = split < 0 ? text : text.slice(0, split);
  const message = split < 0 ? '' : text.slice(split + 2);
  const parentIds: string[] = [];
  let author = parseIdentity('');
  let committer = parseIdentity('');
  for (const line of headerText.split('\n')) {
    // Continuation lines (signatures) start with a space and never carry these keys.
    if (line.startsWith('parent ')) parentIds.push(line.slice(7));
    else if (line.startsWith('author ')) author = parseIdentity(line.slice(7));
    else if (line.startsWith('committer ')) committer = parseIdentity(line.slice(10));
  }
  return {
    id: sha,
    shortId: sha.slice(0, 8),
    title: message.split('\n', 1)[0] ?? '',
    message,
    authorName: author.name,
    authorEmail: author.email,
    authoredDate: author.date,
    committerName: committer.name,
    committerEmail: committer.email,
    committedDate: committer.date,
    parentIds,
  };
}
