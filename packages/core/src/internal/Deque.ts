const MIN_CAPACITY = 8;
/** A drained queue bigger than this gives its memory back. */
const SHRINK_ABOVE = 1024;

/**
 * @internal A FIFO ring buffer: push and shift are O(1) and never move memory, except to double when full and
 * to shrink back once a large queue has drained (so one burst does not pin its memory forever).
 */
export class Deque<T> {
  private buf: (T | undefined)[] = new Array(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private head = 0;
  private tail = 0;

  get length(): number {
    return (this.tail - this.head) & this.mask;
  }

  push(item: T): void {
    this.buf[this.tail] = item;
    this.tail = (this.tail + 1) & this.mask;
    if (this.tail === this.head) this.grow();
  }

  shift(): T | undefined {
    const head = this.head;
    if (head === this.tail) return undefined;
    const item = this.buf[head];
    this.buf[head] = undefined;
    this.head = (head + 1) & this.mask;
    if (this.head === this.tail && this.mask >= SHRINK_ABOVE) this.reset();
    return item;
  }

  /** Removes and returns the oldest item that matches (O(1) when it is the oldest). */
  removeFirst(match: (item: T) => boolean): T | undefined {
    const n = this.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.head + i) & this.mask;
      const item = this.buf[idx] as T;
      if (!match(item)) continue;
      if (i === 0) return this.shift();
      // Close the gap by moving the older items one slot forward.
      for (let j = i; j > 0; j--)
        this.buf[(this.head + j) & this.mask] = this.buf[(this.head + j - 1) & this.mask];
      this.buf[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
      return item;
    }
    return undefined;
  }

  /** Puts `front` before everything queued, keeping its order. */
  unshiftAll(front: readonly T[]): void {
    if (front.length === 0) return;
    const rest = this.drain();
    for (const item of front) this.push(item);
    for (const item of rest) this.push(item);
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    let item: T | undefined;
    while (this.head !== this.tail) {
      item = this.buf[this.head];
      this.buf[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
      out.push(item as T);
    }
    if (this.mask >= SHRINK_ABOVE) this.reset();
    return out;
  }

  private grow(): void {
    // Full: head === tail. Unroll into a buffer twice the size, oldest first.
    const old = this.buf;
    const cap = old.length;
    const next: (T | undefined)[] = new Array(cap * 2);
    for (let i = 0; i < cap; i++) next[i] = old[(this.head + i) & this.mask];
    this.buf = next;
    this.head = 0;
    this.tail = cap;
    this.mask = cap * 2 - 1;
  }

  private reset(): void {
    this.buf = new Array(MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
    this.head = 0;
    this.tail = 0;
  }
}
