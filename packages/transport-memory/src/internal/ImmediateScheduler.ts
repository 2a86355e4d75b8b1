import type { Clock, TimerHandle } from '@troupe/core';
import type { DeliveryScheduler } from '../DeliveryScheduler';

/**
 * @internal The default scheduler. Steps without delay share one FIFO queue drained by a single `setImmediate`,
 * not one timer each: thousands of messages cost one turn of the event loop, and their order is the order they
 * were scheduled in, so a seeded run repeats. Steps scheduled while draining wait for the next turn, so a
 * ping-pong between two nodes never starves timers or I/O. Delayed steps go to the clock, so that under a
 * `SimulatedClock` nothing delayed happens before `advance`.
 */
export class ImmediateScheduler implements DeliveryScheduler {
  private queue: (() => void)[] = [];
  private immediate: NodeJS.Immediate | undefined;
  /** Kept so that `dispose` can cancel them: pending real timers would keep the process alive. */
  private readonly timers = new Set<TimerHandle>();
  private disposed = false;

  constructor(private readonly clock: Clock) {}

  schedule(delayMs: number, run: () => void): void {
    if (delayMs > 0) {
      if (this.disposed) return;
      const handle = this.clock.setTimeout(() => {
        this.timers.delete(handle);
        run();
      }, delayMs);
      this.timers.add(handle);
      return;
    }
    this.queue.push(run);
    this.immediate ??= setImmediate(this.drain);
  }

  /**
   * Cancels every delayed step and refuses new ones: those are message arrivals, which a shut-down network
   * drops anyway, and real timers would keep the process alive. Undelayed steps still run, so that promises
   * waiting on them (a close notified just before the shutdown) settle.
   */
  dispose(): void {
    this.disposed = true;
    for (const handle of this.timers) this.clock.clearTimeout(handle);
    this.timers.clear();
  }

  private readonly drain = (): void => {
    this.immediate = undefined;
    const batch = this.queue;
    this.queue = [];
    // The network's steps guard every user callback, so none of these throws.
    for (let i = 0; i < batch.length; i++) batch[i]();
  };
}
