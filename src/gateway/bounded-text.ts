/** Collects the first `limit` bytes of a body, as UTF-8 text, for records. */
export class BoundedText {
  readonly #limit: number;
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  #truncated = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  add(chunk: Buffer): void {
    const room = this.#limit - this.#bytes;
    if (room <= 0) {
      this.#truncated ||= chunk.length > 0;
      return;
    }
    const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (piece.length < chunk.length) this.#truncated = true;
    this.#chunks.push(piece);
    this.#bytes += piece.length;
  }

  text(): string {
    const text = Buffer.concat(this.#chunks, this.#bytes).toString('utf8');
    return this.#truncated ? `${text}…[truncated]` : text;
  }
}
