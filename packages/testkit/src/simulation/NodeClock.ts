import type { Clock, SimulatedClock, TimerHandle } from '@troupe/core';
import type { Lane, SimScheduler, StepOwner } from './SimScheduler';

interface NodeTimer {
  handle: TimerHandle;
  cancelled: boolean;
}

/** The handle of a timer set on a clock whose node has crashed: it never fires. */
const DEAD_TIMER: NodeTimer = { handle: undefined, cancelled: true };

/**
 * One node's view of the shared virtual time: the shared clock plus the node's skew, which the nemesis may
 * change at any moment (a clock stepped by NTP). A timer that falls due does not run its callback there and
 * then: it posts a step, in the node's own lane so that its timers keep their order, and the scheduler runs it
 * when it chooses. The clock keeps every timer it has pending, so that a crash cancels them all: a crashed
 * process's timers die with it.
 */
export class NodeClock implements Clock {
  private readonly timers = new Set<NodeTimer>();
  private dead = false;

  constructor(
    private readonly shared: SimulatedClock,
    private readonly scheduler: SimScheduler,
    private readonly owner: StepOwner,
    private readonly lane: Lane,
    /** The node's current skew in ms, read on every `now()`. */
    private readonly skew: () => number,
  ) {}

  now(): number {
    return this.shared.now() + this.skew();
  }

  /** The shared time without the skew: a skew step moves a node's wall clock, never its elapsed time. */
  monotonic(): number {
    return this.shared.now();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    if (this.dead) return DEAD_TIMER;
    const timer: NodeTimer = { handle: undefined, cancelled: false };
    timer.handle = this.shared.setTimeout(() => {
      this.timers.delete(timer);
      this.scheduler.post(
        () => {
          // Cleared after it fell due but before the scheduler got to it: a cleared timer never fires.
          if (!timer.cancelled) callback();
        },
        this.owner,
        this.lane,
      );
    }, delayMs);
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = handle as NodeTimer;
    if (!timer || typeof timer !== 'object' || timer.cancelled) return;
    timer.cancelled = true;
    if (this.timers.delete(timer)) this.shared.clearTimeout(timer.handle);
  }

  /** Timers set and neither fired nor cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** The node crashed: cancel every timer, and ignore any set from now on by code still finishing. */
  kill(): void {
    this.dead = true;
    for (const timer of this.timers) {
      timer.cancelled = true;
      this.shared.clearTimeout(timer.handle);
    }
    this.timers.clear();
  }
}
