/** Each message in a batch frame is preceded by its length, a u32 big-endian. */
export const LENGTH_PREFIX_BYTES = 4;

/**
 * Packs queued messages into one batch frame: `(u32be length, bytes)*`. Messages are copied in as they are
 * queued, so the caller may reuse its array as soon as `send` returns; the buffer grows by doubling, so the
 * amortised cost is one copy per message.
 */
export class BatchFramer {
  private buffer: Buffer | undefined;
  private used = 0;

  /** Bytes queued, prefixes included. */
  get size(): number {
    return this.used;
  }

  append(message: Uint8Array): void {
    const need = this.used + LENGTH_PREFIX_BYTES + message.byteLength;
    if (!this.buffer || need > this.buffer.length) this.grow(need);
    const buffer = this.buffer!;
    buffer.writeUInt32BE(message.byteLength, this.used);
    buffer.set(message, this.used + LENGTH_PREFIX_BYTES);
    this.used = need;
  }

  /** Hands over the frame built so far (undefined when empty) and starts a new one. */
  take(): Buffer | undefined {
    const buffer = this.buffer;
    if (!buffer || this.used === 0) return undefined;
    const used = this.used;
    this.buffer = undefined;
    this.used = 0;
    if (used === buffer.length) return buffer;
    // A frame waiting in the socket keeps its whole buffer alive, while bufferedAmount counts only the used
    // part; copying mostly-empty buffers keeps real memory within twice what the outbound bound accounts for.
    return used * 2 < buffer.length ? Buffer.from(buffer.subarray(0, used)) : buffer.subarray(0, used);
  }

  clear(): void {
    this.buffer = undefined;
    this.used = 0;
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(need, (this.buffer?.length ?? 0) * 2));
    if (this.buffer) this.buffer.copy(next, 0, 0, this.used);
    this.buffer = next;
  }

  /**
   * Splits a batch frame into its messages (Buffer views into `frame`, no copies). Returns undefined for a malformed
   * frame (empty, a truncated prefix, a length past the end) without delivering any of it: a peer that sends
   * garbage is cut off, and what came before the garbage in the same frame is not trusted either.
   */
  static decode(frame: Buffer): Uint8Array[] | undefined {
    if (!BatchFramer.isWellFormed(frame)) return undefined;
    const messages: Uint8Array[] = [];
    BatchFramer.forEach(frame, (message) => messages.push(message) > 0);
    return messages;
  }

  /**
   * Calls `each` with the messages of a frame that `isWellFormed`, in order, until it returns false: Buffer views
   * into `frame` (a reader may use Buffer's decoders on them without wrapping each first), and no array.
   */
  static forEach(frame: Buffer, each: (message: Buffer) => boolean): void {
    for (let offset = 0; offset < frame.byteLength;) {
      const length = frame.readUInt32BE(offset);
      offset += LENGTH_PREFIX_BYTES;
      if (!each(frame.subarray(offset, offset + length))) return;
      offset += length;
    }
  }

  /**
   * Whether `frame` is a batch frame: not empty, and its length prefixes cover it exactly. A reader that checks
   * first can then walk the messages in place (as `decode` does) without an array or a view per frame.
   */
  static isWellFormed(frame: Buffer): boolean {
    const n = frame.byteLength;
    if (n === 0) return false;
    let offset = 0;
    while (offset < n) {
      if (n - offset < LENGTH_PREFIX_BYTES) return false;
      const length = frame.readUInt32BE(offset);
      offset += LENGTH_PREFIX_BYTES;
      if (length > n - offset) return false;
      offset += length;
    }
    return true;
  }
}
