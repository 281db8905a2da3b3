import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseCommandSection, readReceivePackCommands } from './read-receive-pack-commands.ts';

const pkt = (line: string) =>
  `${(Buffer.byteLength(line) + 4).toString(16).padStart(4, '0')}${line}`;
const a = 'a'.repeat(40);
const b = 'b'.repeat(40);
const zero = '0'.repeat(40);

describe('receive-pack command section', () => {
  it('reads the commands up to the flush packet and leaves the pack for receive-pack', async () => {
    const section = `${pkt(`${a} ${b} refs/heads/main\0report-status side-band-64k\n`)}${pkt(`${zero} ${b} refs/heads/new\n`)}0000`;
    const body = Readable.from([
      Buffer.from(section.slice(0, 30)),
      Buffer.from(`${section.slice(30)}PACK....`),
    ]);
    const head = await readReceivePackCommands(body);
    expect(head.commands).toEqual([
      { oldSha: a, newSha: b, ref: 'refs/heads/main' },
      { oldSha: zero, newSha: b, ref: 'refs/heads/new' },
    ]);
    expect(head.consumed.toString()).toBe(`${section}PACK....`);
    expect(head.ended).toBe(false);
  });

  it('finds the commands inside a signed push certificate', () => {
    const section =
      pkt('push-cert\0report-status\n') +
      pkt('certificate version 0.1\n') +
      pkt('pusher Dev <dev@example.test> 1700000000 +0000\n') +
      pkt('\n') +
      pkt(`${a} ${b} refs/heads/topic\n`) +
      pkt('-----BEGIN PGP SIGNATURE-----\n') +
      pkt('push-cert-end\n') +
      '0000';
    expect(parseCommandSection(Buffer.from(section))).toEqual({
      commands: [{ oldSha: a, newSha: b, ref: 'refs/heads/topic' }],
      complete: true,
    });
  });

  it('returns no commands for a body cut off before its flush, so every ref is refused', async () => {
    const head = await readReceivePackCommands(
      Readable.from([Buffer.from(pkt(`${a} ${b} refs/heads/main\n`))]),
    );
    expect(head.ended).toBe(true);
    expect(head.commands).toEqual([]);
  });
});
