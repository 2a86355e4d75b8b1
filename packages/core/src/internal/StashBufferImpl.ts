import type { StashBuffer } from '../ActorContext';
import { StashOverflowError } from '../ActorError';

/**
 * The bounded stash behind `ctx.stash`. Exported for tools that interpret behaviours themselves (the test kit's
 * `BehaviorTestKit`), so that they keep exactly the runtime's contract.
 */
export class StashBufferImpl<M> implements StashBuffer<M> {
  private items: M[] = [];

  constructor(
    readonly capacity: number,
    private readonly path: string,
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
    this.putBack(this.drain());
  }

  /** What is stashed, oldest first. */
  get contents(): ReadonlyArray<M> {
    return this.items;
  }

  drain(): M[] {
    const out = this.items;
    this.items = [];
    return out;
  }
}
