import { AppError } from '../../errors/app-error.ts';

/**
 * Hands each concurrent run its own host uid (and gid of the same number), so that file
 * permissions separate runs from each other and from Baton. In-memory: one Baton process per
 * uid range and host; give each process its own `base` when several share a host.
 */
export class UidPool {
  private readonly inUse = new Set<number>();
  private next = 0;

  constructor(
    readonly base: number,
    readonly size: number,
  ) {}

  acquire(): number {
    for (let tried = 0; tried < this.size; tried += 1) {
      const uid = this.base + ((this.next + tried) % this.size);
      if (!this.inUse.has(uid)) {
        this.inUse.add(uid);
        // Rotate so a released uid is not handed out again right away.
        this.next = (uid - this.base + 1) % this.size;
        return uid;
      }
    }
    throw new AppError('INTERNAL', 'All sandbox uids are in use', {
      retryable: true,
      details: { size: this.size },
    });
  }

  release(uid: number): void {
    this.inUse.delete(uid);
  }
}
