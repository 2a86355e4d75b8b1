/** An opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * The actor system's only source of time. Everything that waits (actor timers, ask timeouts, backoff, stop
 * timeouts) goes through it, so a simulated clock makes the whole system run on virtual time.
 *
 * @example
 * ```ts
 * const clock = new SimulatedClock();
 * const system = createActorSystem({ name: 'test', clock });
 * clock.advance(1000); // fires every timer due in the next second, in order
 * ```
 */
export interface Clock {
  /** Milliseconds; only differences matter. Wall-clock time: it may jump (an NTP step, a skewed node). */
  now(): number;
  /**
   * Milliseconds that never jump and never go back, for measuring how long something lasted (a lease, which
   * must not be cut short or stretched by a stepped wall clock). Only differences matter, and only on this node.
   */
  monotonic(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock: `Date.now()` and Node's timers. Pending timers keep the process alive, as a pending restart
 * or a ticking actor should; `terminate()` cancels every timer the system owns.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(callback, delayMs) {
    return setTimeout(callback, Math.max(0, delayMs));
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
