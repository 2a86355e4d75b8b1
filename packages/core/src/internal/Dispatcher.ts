import type { ActorCell } from './ActorCell';

/** Runs a dispatcher turn later. The default yields to the event loop with `setImmediate`. */
export type Executor = (turn: () => void) => void;

export const immediateExecutor: Executor = (turn) => {
  setImmediate(turn);
};

/**
 * @internal Runs mailboxes in batches: one scheduled turn drains many messages of many actors, then yields so
 * that timers and I/O get their turn. Scheduling per message would cost an order of magnitude; bounding the
 * turn keeps a flood to one actor from starving everything else.
 */
export class Dispatcher {
  private queue: (ActorCell | undefined)[] = [];
  private head = 0;
  private armed = false;
  turns = 0;
  messages = 0;

  constructor(
    private readonly executor: Executor,
    /** Most user messages one actor handles before the next actor's turn. */
    private readonly throughput: number,
    /** Most user messages in one turn before yielding to the event loop. */
    private readonly maxMessagesPerTurn: number,
  ) {}

  /** The caller has set the cell's scheduled flag. */
  schedule(cell: ActorCell): void {
    this.queue.push(cell);
    if (!this.armed) {
      this.armed = true;
      this.executor(this.runTurn);
    }
  }

  get idle(): boolean {
    return !this.armed && this.head >= this.queue.length;
  }

  private readonly runTurn = (): void => {
    this.armed = false;
    this.turns++;
    const budget = this.maxMessagesPerTurn;
    const throughput = this.throughput;
    let handled = 0;
    try {
      while (this.head < this.queue.length && handled < budget) {
        const cell = this.queue[this.head] as ActorCell;
        this.queue[this.head++] = undefined;
        const n = cell.run(throughput);
        handled += n;
        cell.afterRun(this);
      }
    } finally {
      this.messages += handled;
      if (this.head >= this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      } else {
        if (this.head > 4096) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        if (!this.armed) {
          this.armed = true;
          this.executor(this.runTurn);
        }
      }
    }
  };

  /** @internal For cells that still have work after their run: back of the line, no re-arming needed. */
  requeue(cell: ActorCell): void {
    this.queue.push(cell);
  }
}
