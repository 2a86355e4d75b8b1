import { InvalidArgumentError, type TimerScheduler } from '@troupe/core';
import type { Effect, TimerInfo, TimerMode } from '../Effect';

/**
 * `ctx.timers` for BehaviorTestKit: timers are recorded, never run. A tick is delivered by the test, with
 * `kit.fireTimer(key)`. Arguments are checked as core's scheduler checks them, so a bad delay fails here too.
 */
export class RecordingTimerScheduler<M> implements TimerScheduler<M> {
  readonly active = new Map<unknown, TimerInfo<M>>();

  constructor(private readonly record: (effect: Effect<M>) => void) {}

  startSingleTimer(key: unknown, message: M, delayMs: number): void {
    if (!(delayMs >= 0)) throw new InvalidArgumentError('timer delay must be >= 0');
    this.start(key, message, 'single', delayMs, undefined);
  }

  startTimerAtFixedRate(key: unknown, message: M, intervalMs: number, initialDelayMs = intervalMs): void {
    if (!(intervalMs > 0)) throw new InvalidArgumentError('a fixed-rate timer needs intervalMs > 0');
    if (!(initialDelayMs >= 0)) throw new InvalidArgumentError('timer delay must be >= 0');
    this.start(key, message, 'fixed-rate', initialDelayMs, intervalMs);
  }

  startTimerWithFixedDelay(key: unknown, message: M, delayMs: number): void {
    if (!(delayMs > 0)) throw new InvalidArgumentError('a fixed-delay timer needs delayMs > 0');
    this.start(key, message, 'fixed-delay', delayMs, delayMs);
  }

  isTimerActive(key: unknown): boolean {
    return this.active.has(key);
  }

  cancel(key: unknown): void {
    if (this.active.delete(key)) this.record({ type: 'timer-cancelled', key });
  }

  cancelAll(): void {
    for (const key of [...this.active.keys()]) this.cancel(key);
  }

  /** The actor stopped: its timers go silently, as core's do. */
  close(): void {
    this.active.clear();
  }

  /** A tick is delivered: a single timer is then done, a repeating one stays. */
  consume(key: unknown): TimerInfo<M> | undefined {
    const t = this.active.get(key);
    if (t?.mode === 'single') this.active.delete(key);
    return t;
  }

  private start(
    key: unknown,
    message: M,
    mode: TimerMode,
    delayMs: number,
    intervalMs: number | undefined,
  ): void {
    // Same key: the old timer is replaced, as in core; that is a new schedule, not a cancellation.
    this.active.delete(key);
    const info: TimerInfo<M> = { key, message, mode, delayMs, intervalMs };
    this.active.set(key, info);
    this.record({ type: 'timer-scheduled', ...info });
  }
}
