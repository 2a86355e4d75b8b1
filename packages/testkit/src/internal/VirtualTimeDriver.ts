import { type Executor, InvalidArgumentError, type SimulatedClock } from '@troupe/core';
import { NotIdleError } from '../TestKitError';
import { flushPromises } from './flushPromises';

export interface DriverBudget {
  /** Most dispatcher turns in one `runUntilIdle`. */
  maxTurns: number;
  /** Most messages handled in one `runUntilIdle`. */
  maxMessages: number;
}

/**
 * Runs a system's dispatcher turns by hand and moves its simulated clock timer by timer. The system's
 * `executor` only queues turns here, so nothing runs between a test's own statements, and time moves only when
 * a test (or an expectation waiting on a probe) moves it.
 */
export class VirtualTimeDriver {
  private readonly pending: (() => void)[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private messagesHandled: () => number = () => 0;
  /** Turns run so far. */
  turns = 0;

  /** Give this to `createActorSystem`. */
  readonly executor: Executor = (turn) => {
    this.pending.push(turn);
  };

  constructor(
    readonly clock: SimulatedClock,
    private readonly budget: DriverBudget,
  ) {}

  /** The system does not exist yet when its executor is made; it reports its message count once it does. */
  countMessagesWith(messagesHandled: () => number): void {
    this.messagesHandled = messagesHandled;
  }

  /**
   * Runs `fn` after every earlier call has finished. Two expectations awaited together would otherwise both
   * move the clock, and each could jump past the other's deadline; in line, each gets its full window.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Runs turns and lets promises settle until nothing is runnable. Fires no timers. */
  async runUntilIdle(): Promise<void> {
    const startTurns = this.turns;
    const startMessages = this.messagesHandled();
    for (;;) {
      const turn = this.pending.shift();
      if (turn) {
        this.turns++;
        turn();
        const turns = this.turns - startTurns;
        const messages = this.messagesHandled() - startMessages;
        if (turns > this.budget.maxTurns || messages > this.budget.maxMessages) {
          throw new NotIdleError(turns, messages);
        }
        continue;
      }
      // Async handlers, asks and pipeToSelf continue in promise callbacks, which may queue more turns.
      await flushPromises();
      if (this.pending.length === 0) return;
    }
  }

  /**
   * Moves time forward at most `withinMs`, one timer instant at a time, settling after each, until `check`
   * holds. Returns whether it did; when it never does, the clock ends exactly at the deadline. A `check` that
   * holds at once moves no time at all.
   */
  async waitFor(check: () => boolean, withinMs: number): Promise<boolean> {
    checkDuration(withinMs);
    const deadline = this.clock.now() + withinMs;
    await this.runUntilIdle();
    while (!check()) {
      const next = this.clock.nextTimerAt();
      if (next === undefined || next > deadline) {
        this.clock.advanceTo(deadline);
        return check();
      }
      // advanceTo fires every timer due at that instant, as one pass of Node's timer phase would.
      this.clock.advanceTo(next);
      await this.runUntilIdle();
    }
    return true;
  }
}

export function checkDuration(ms: number): void {
  if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms)) {
    throw new InvalidArgumentError(`a virtual duration must be a finite number >= 0, got ${String(ms)}`);
  }
}
