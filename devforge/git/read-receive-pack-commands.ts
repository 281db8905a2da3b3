import type { Readable } from 'node:stream';

export interface ReceivePackCommand {
  oldSha: string;
  newSha: string;
  ref: string;
}

export interface ReceivePackHead {
  commands: ReceivePackCommand[];
  /** Every byte consumed from the body; it must still be fed to receive-pack first. */
  consumed: Buffer;
  /** The body ended within the command section, so there is nothing left to pipe. */
  ended: boolean;
}

/** Enough for tens of thousands of ref updates; past it the request is not a push we serve. */
const maxCommandSection = 8 * 1024 * 1024;
const command = /^([0-9a-f]{40}) ([0-9a-f]{40}) ([^\0\n]+)/;

/**
 * Parses the pkt-line command list at the start of a receive-pack request (up to its flush packet)
 * without consuming the pack that follows, so the refs being pushed are known before git runs
 * and the pre-receive hook can be handed its decisions. Commands inside a signed push certificate
 * have the same shape and are found the same way.
 */
export function parseCommandSection(buffer: Buffer): {
  commands: ReceivePackCommand[];
  complete: boolean;
} {
  const commands: ReceivePackCommand[] = [];
  let offset = 0;
  while (offset + 4 <= buffer.length) {
    const length = Number.parseInt(buffer.subarray(offset, offset + 4).toString('latin1'), 16);
    if (Number.isNaN(length)) return { commands, complete: true };
    if (length < 4) return { commands, complete: true };
    if (offset + length > buffer.length) break;
    const payload = buffer.subarray(offset + 4, offset + length).toString('utf8');
    const match = command.exec(payload);
    if (match)
      commands.push({ oldSha: match[1] ?? '', newSha: match[2] ?? '', ref: match[3] ?? '' });
    offset += length;
  }
  return { commands, complete: false };
}

export function readReceivePackCommands(body: Readable): Promise<ReceivePackHead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (complete: boolean, ended = false): void => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      body.pause();
      const consumed = Buffer.concat(chunks);
      const parsed = parseCommandSection(consumed);
      resolve({ commands: complete || parsed.complete ? parsed.commands : [], consumed, ended });
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      const parsed = parseCommandSection(Buffer.concat(chunks));
      if (parsed.complete) finish(true);
      else if (size > maxCommandSection) finish(false);
    };
    const onEnd = (): void => {
      finish(false, true);
    };
    const onError = (error: unknown): void => {
      body.off('data', onData);
      body.off('end', onEnd);
      reject(error instanceof Error ? error : new Error('request body failed'));
    };
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
  });
}
