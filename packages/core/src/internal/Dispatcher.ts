import type { ActorCell } from './ActorCell';

/** Runs a dispatcher turn later. The default yields to the event loop with `setImmediate`. */
export type Executor = (turn: () => void) => void;

/**
 * @internal Runs mailboxes in batches: one scheduled turn drains many messages of many actors, then yields so
 * that timers and I/O get their turn. Scheduling per message would cost an order of magnitude; bounding the
 * turn keeps a flood to one actor from starving everything else.
 */
export class Dispatcher {
  private queue: (ActorCell | undefined)[] = [];
  private head = 0;
  private armed = false;
  /** The default executor's pending turn: a prompt turn (see `runPromptly`) takes its place and cancels it. */
  private immediate: NodeJS.Immediate | undefined = undefined;
  /** A prompt turn is queued as a microtask. */
  private promptQueued = false;
  turns = 0;
  messages = 0;

  constructor(
    /**
     * A custom executor (virtual time, a deterministic simulation), which alone decides when turns run; undefined
     * for the default, `setImmediate`, which `runPromptly` may overtake.
     */
    private readonly executor: Executor | undefined,
    /** Most user messages one actor handles before the next actor's turn. */
    private readonly throughput: number,
    /** Most user messages in one turn before yielding to the event loop. */
    private readonly maxMessagesPerTurn: number,
  ) {}

  /** The caller has set the cell's scheduled flag. */
  schedule(cell: ActorCell): void {
    this.queue.push(cell);
    if (!this.armed) this.arm();
  }

  private arm(): void {
    this.armed = true;
    if (this.executor) this.executor(this.runTurn);
    else this.immediate = setImmediate(this.runTurn);
  }

  get idle(): boolean {
    return !this.armed && this.head >= this.queue.length;
  }

  /**
   * Runs the scheduled turn at the end of the current task (a microtask) rather than on the executor's next
   * turn. For messages that arrive in an I/O callback (remoting): the request is handled and its reply sent
   * before the process goes back to the event loop, where `setImmediate` would first finish the poll phase and
   * unwind to the check phase (about a third of a remote echo's time in the process, measured). The prompt turn
   * cancels the `setImmediate` one; a turn that leaves work re-arms as usual, so fairness to timers and I/O is
   * unchanged. Does nothing with a custom executor.
   */
  runPromptly(): void {
    if (this.immediate === undefined || this.promptQueued) return;
    this.promptQueued = true;
    queueMicrotask(this.runPromptTurn);
  }

  private readonly runPromptTurn = (): void => {
    this.promptQueued = false;
    const immediate = this.immediate;
    if (immediate === undefined) return; // nothing armed any more
    clearImmediate(immediate);
    this.runTurn();
  };

  private readonly runTurn = (): void => {
    this.immediate = undefined;
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
        if (!this.armed) this.arm();
      }
    }
  };

  /** @internal For cells that still have work after their run: back of the line, no re-arming needed. */
  requeue(cell: ActorCell): void {
    this.queue.push(cell);
  }
}
