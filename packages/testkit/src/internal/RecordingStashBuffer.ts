import { type StashBuffer, StashOverflowError } from '@troupe/core';

/** `ctx.stash` for BehaviorTestKit: the same contract as core's (bounded, in order), contents visible. */
export class RecordingStashBuffer<M> implements StashBuffer<M> {
  items: M[] = [];

  constructor(
    readonly capacity: number,
    private readonly path: string,
    /** Where unstashed messages go: run right after the current handler, as core puts them first in line. */
    private readonly putBack: (items: M[]) => void,
  ) {}

  get size(): number {
    return this.items.length;
  }
  get isEmpty(): boolean {
    return this.items.length === 0;
  }
  get isFull(): boolean {
    return this.items.length >= this.capacity;
  }

  stash(message: M): void {
    if (this.items.length >= this.capacity) throw new StashOverflowError(this.path, this.capacity);
    this.items.push(message);
  }

  unstashAll(): void {
    if (this.items.length === 0) return;
    const out = this.items;
    this.items = [];
    this.putBack(out);
  }
}
