import { USER_AGAIN_HEAD } from './wire';

/**
 * A batch is handed to the transport once it holds this much (or the connection's largest message, if less), so
 * no one transport message grows without bound.
 */
export const BATCH_BYTES = 64 * 1024;

/** A buffer that grew past this for one large batch is let go after it, rather than kept for ever. */
const KEEP_BYTES = 4 * BATCH_BYTES;

/**
 * @internal The envelopes for one peer gathered during one turn of the event loop, handed to the transport as
 * one message (a CBOR sequence) at the end of the turn. The receiver decodes the whole message in one call, and
 * an envelope for the same recipient and type as the user envelope before it goes as `[7, payload]`.
 *
 * It keeps, for each user message in it, whom it was for and what it was: if the transport refuses the batch,
 * each one becomes a dead letter of its own.
 */
export class OutboundBatch<R> {
  private buffer = Buffer.allocUnsafe(4096);
  private used = 0;
  /**
   * For each of the first `count` envelopes: its recipient (undefined for a control envelope), and the message.
   * Counted rather than truncated: `length = 0` frees the storage, and the next batch would grow it again.
   */
  readonly recipients: (R | undefined)[] = [];
  readonly messages: unknown[] = [];
  count = 0;
  /**
   * The recipient and manifest of the last user envelope with a head (in full, or `UserElsewhere`), which the
   * next `UserAgain` or `UserElsewhere` envelope refers to. Undefined when the next user envelope must be written
   * in full.
   */
  lastRecipient: R | undefined = undefined;
  lastManifest: string | undefined = undefined;
  /** Whether a flush at the end of this turn is already arranged. */
  queued = false;

  get size(): number {
    return this.used;
  }

  get isEmpty(): boolean {
    return this.used === 0;
  }

  /**
   * Whether `n` more bytes still fit under `limit`. An empty batch takes anything: an envelope over the limit
   * then goes alone, and is refused alone.
   */
  fits(n: number, limit: number): boolean {
    return this.used === 0 || this.used + n <= limit;
  }

  /**
   * Appends whole envelopes. `head`: the manifest when they are one user envelope written in full, which
   * later ones may refer to; otherwise nothing after them may refer back past them.
   */
  append(bytes: Uint8Array, recipient: R | undefined, message: unknown, head?: string): void {
    this.write(bytes, 0);
    this.add(recipient, message);
    this.lastRecipient = head === undefined ? undefined : recipient;
    this.lastManifest = head;
  }

  /** Appends a batch built before, as it was: its `UserAgain` envelopes refer only to its own user envelopes. */
  appendAll(bytes: Uint8Array, recipients: readonly (R | undefined)[], messages: readonly unknown[]): void {
    this.write(bytes, 0);
    for (let i = 0; i < recipients.length; i++) this.add(recipients[i], messages[i]);
    this.lastRecipient = undefined;
    this.lastManifest = undefined;
  }

  /** Appends a `UserAgain` envelope: the caller checked that `recipient` and the manifest are the last ones. */
  appendAgain(payload: Uint8Array, recipient: R, message: unknown): void {
    this.write(payload, USER_AGAIN_HEAD.length);
    this.buffer[this.used - payload.length - 2] = USER_AGAIN_HEAD[0];
    this.buffer[this.used - payload.length - 1] = USER_AGAIN_HEAD[1];
    this.add(recipient, message);
  }

  private add(recipient: R | undefined, message: unknown): void {
    this.recipients[this.count] = recipient;
    this.messages[this.count++] = message;
  }

  /** The bytes gathered so far: a view, valid until `clear`. */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.used);
  }

  /**
   * Empties the batch and returns whom its messages were for, and what they were: for dead letters, taken out
   * first, since a dead-letter listener may tell the same peer again.
   */
  takeFailed(): { recipients: (R | undefined)[]; messages: unknown[] } {
    const taken = {
      recipients: this.recipients.slice(0, this.count),
      messages: this.messages.slice(0, this.count),
    };
    this.clear();
    return taken;
  }

  clear(): void {
    this.used = 0;
    // What was sent is not kept alive by the batch.
    this.recipients.fill(undefined, 0, this.count);
    this.messages.fill(undefined, 0, this.count);
    this.count = 0;
    this.lastRecipient = undefined;
    this.lastManifest = undefined;
    if (this.buffer.length > KEEP_BYTES) this.buffer = Buffer.allocUnsafe(4096);
  }

  /** Copies `bytes` in after `gap` bytes left for the caller to fill. */
  private write(bytes: Uint8Array, gap: number): void {
    const need = this.used + gap + bytes.length;
    if (need > this.buffer.length) {
      const next = Buffer.allocUnsafe(Math.max(need, this.buffer.length * 2));
      this.buffer.copy(next, 0, 0, this.used);
      this.buffer = next;
    }
    this.buffer.set(bytes, this.used + gap);
    this.used = need;
  }
}
