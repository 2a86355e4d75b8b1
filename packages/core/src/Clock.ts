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
  /** Milliseconds; only differences matter. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock: `Date.now()` and Node's timers. Pending timers keep the process alive, as a pending restart
 * or a ticking actor should; `terminate()` cancels every timer the system owns.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, delayMs) {
    return setTimeout(callback, Math.max(0, delayMs));
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
