/**
 * @internal A FIFO queue on one array with a moving head: push and shift are O(1) amortised and a drained
 * queue resets to empty, so the common case (a few messages at a time) never copies.
 */
export class Deque<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    const items = this.items;
    if (this.head >= items.length) return undefined;
    const item = items[this.head];
    items[this.head++] = undefined;
    if (this.head === items.length) {
      items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= items.length) {
      // Long-lived queues would otherwise keep their consumed prefix forever.
      this.items = items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Puts `front` before everything queued, keeping its order. */
  unshiftAll(front: readonly T[]): void {
    if (front.length === 0) return;
    if (this.head >= front.length) {
      this.head -= front.length;
      for (let i = 0; i < front.length; i++) this.items[this.head + i] = front[i];
    } else {
      this.items = [...front, ...this.items.slice(this.head)];
      this.head = 0;
    }
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const out = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return out;
  }
}
