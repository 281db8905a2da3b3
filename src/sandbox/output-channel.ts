import type { Readable } from 'node:stream';
import type { OutputChunk } from './sandbox.ts';

/**
 * Merges a run's stdout and stderr into one capped, single-consumer async iterable. Chunks wait in
 * memory until read, which the byte cap bounds; past the cap reading stops and `onLimit` fires once.
 */
export class OutputChannel implements AsyncIterable<OutputChunk> {
  private readonly queue: OutputChunk[] = [];
  private waiting: (() => void) | undefined;
  private openStreams = 0;
  private total = 0;
  private limitHit = false;
  private iterated = false;

  constructor(
    private readonly limitBytes: number,
    private readonly onLimit: () => void,
  ) {}

  get exceeded(): boolean {
    return this.limitHit;
  }

  attach(stream: Readable, name: OutputChunk['stream']): void {
    this.openStreams += 1;
    const done = (): void => {
      stream.removeAllListeners('data');
      this.openStreams -= 1;
      this.wake();
    };
    stream.on('data', (chunk: Buffer) => {
      this.accept(chunk, name, stream);
    });
    stream.once('close', done);
    stream.once('error', () => stream.destroy());
  }

  private accept(chunk: Buffer, name: OutputChunk['stream'], stream: Readable): void {
    if (this.limitHit) return;
    const room = this.limitBytes - this.total;
    if (chunk.length > room) {
      if (room > 0) this.queue.push({ stream: name, chunk: chunk.subarray(0, room) });
      this.total = this.limitBytes;
      this.limitHit = true;
      // Destroying (not pausing) lets the child's 'close' fire once the run is killed.
      stream.destroy();
      this.onLimit();
    } else {
      this.total += chunk.length;
      this.queue.push({ stream: name, chunk });
    }
    this.wake();
  }

  private wake(): void {
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<OutputChunk> {
    if (this.iterated) throw new Error('sandbox output can only be iterated once');
    this.iterated = true;
    for (;;) {
      const next = this.queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.openStreams === 0 || this.limitHit) return;
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
  }
}
