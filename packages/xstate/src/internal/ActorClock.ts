import type { TimerScheduler } from '@troupe/core';

/** One delayed callback xstate asked for; the object itself is the timer key, so it can never clash. */
interface Delay {
  readonly fn: () => void;
}

/**
 * @internal The message a delay's Troupe timer sends to the actor itself. xstate's callback runs only when the
 * actor handles it, so a delayed transition is one more message in the mailbox, never a re-entrant call from a
 * timer.
 */
export class DelayFired {
  constructor(readonly delay: object) {}
}

/**
 * @internal xstate's `Clock` (structurally: `setTimeout` and `clearTimeout`), backed by the actor's own timers: they run on the actor system's clock (virtual
 * under a `SimulatedClock` or `simulate()`), and core cancels them when the actor restarts or stops.
 */
export class ActorClock {
  private readonly pending = new Set<Delay>();

  constructor(private readonly timers: TimerScheduler<unknown>) {}

  setTimeout(fn: () => void, timeout: number): Delay {
    const delay: Delay = { fn };
    this.pending.add(delay);
    this.timers.startSingleTimer(delay, new DelayFired(delay), timeout);
    return delay;
  }

  clearTimeout(id: unknown): void {
    const delay = id as Delay;
    if (this.pending.delete(delay)) this.timers.cancel(delay);
  }

  /** Runs the callback of a delay that fell due, unless it was cancelled since. */
  fire(delay: object): void {
    const d = delay as Delay;
    if (!this.pending.delete(d)) return;
    d.fn();
  }

  /** Delays started and neither fired nor cancelled. */
  get size(): number {
    return this.pending.size;
  }
}

/** @internal Tells the actor to look at a snapshot that changed outside a message (an invoked promise settled). */
export class SyncSnapshot {}
