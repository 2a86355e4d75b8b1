import type { TimerScheduler } from '../ActorContext';
import { InvalidArgumentError } from '../ActorError';
import type { Clock, TimerHandle } from '../Clock';
import { Envelope, EnvelopeKind } from './Envelope';

const enum Mode {
  Single,
  FixedRate,
  FixedDelay,
}

interface TimerEntry {
  key: unknown;
  message: unknown;
  mode: Mode;
  intervalMs: number;
  /** When the next tick is due (fixed rate measures from here, not from when it ran). */
  dueAt: number;
  handle: TimerHandle;
}

/** @internal */
export class TimerSchedulerImpl<M> implements TimerScheduler<M> {
  private readonly entries = new Map<unknown, TimerEntry>();
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly enqueue: (env: Envelope) => void,
  ) {}

  startSingleTimer(key: unknown, message: M, delayMs: number): void {
    this.start(key, message, Mode.Single, delayMs, delayMs);
  }

  startTimerAtFixedRate(key: unknown, message: M, intervalMs: number, initialDelayMs = intervalMs): void {
    if (!(intervalMs > 0)) throw new InvalidArgumentError('a fixed-rate timer needs intervalMs > 0');
    this.start(key, message, Mode.FixedRate, intervalMs, initialDelayMs);
  }

  startTimerWithFixedDelay(key: unknown, message: M, delayMs: number): void {
    if (!(delayMs > 0)) throw new InvalidArgumentError('a fixed-delay timer needs delayMs > 0');
    this.start(key, message, Mode.FixedDelay, delayMs, delayMs);
  }

  isTimerActive(key: unknown): boolean {
    return this.entries.has(key);
  }

  cancel(key: unknown): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.clock.clearTimeout(e.handle);
    this.entries.delete(key);
  }

  cancelAll(): void {
    for (const e of this.entries.values()) this.clock.clearTimeout(e.handle);
    this.entries.clear();
  }

  /** @internal The actor has terminated: cancel everything and refuse new timers. */
  close(): void {
    this.closed = true;
    this.cancelAll();
  }

  /** @internal Whether a queued tick is still wanted; consumes a single timer, re-arms a fixed-delay one. */
  accept(env: Envelope): boolean {
    const entry = env.extra as TimerEntry;
    if (this.entries.get(entry.key) !== entry) return false;
    if (entry.mode === Mode.Single) this.entries.delete(entry.key);
    else if (entry.mode === Mode.FixedDelay) this.arm(entry, entry.intervalMs);
    return true;
  }

  private start(key: unknown, message: M, mode: Mode, intervalMs: number, delayMs: number): void {
    if (!(delayMs >= 0)) throw new InvalidArgumentError('timer delay must be >= 0');
    this.cancel(key);
    if (this.closed) return;
    const entry: TimerEntry = { key, message, mode, intervalMs, dueAt: this.clock.now(), handle: undefined };
    this.entries.set(key, entry);
    this.arm(entry, delayMs);
  }

  private arm(entry: TimerEntry, delayMs: number): void {
    entry.dueAt = (entry.mode === Mode.FixedRate ? entry.dueAt : this.clock.now()) + delayMs;
    entry.handle = this.clock.setTimeout(() => this.fire(entry), entry.dueAt - this.clock.now());
  }

  private fire(entry: TimerEntry): void {
    if (this.entries.get(entry.key) !== entry) return;
    this.enqueue(new Envelope(EnvelopeKind.Timer, entry.message, entry));
    if (entry.mode === Mode.FixedRate) this.arm(entry, entry.intervalMs);
  }
}
