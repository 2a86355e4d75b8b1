import { setImmediate as realSetImmediate } from 'node:timers';
import type { RandomSource, SimulatedClock, TimerHandle } from '@troupe/core';
import { LivelockError } from './SimulationFailure';

/** Whoever a step belongs to: a node's steps are skipped once it has crashed. */
export interface StepOwner {
  readonly dead: boolean;
}

/**
 * Steps that must run in the order they were posted, such as one node's timers falling due at the same instant
 * (Node fires those in order, and code may rely on it). Only a lane's oldest step is up for choice.
 */
export class Lane {
  /** @internal */ readonly waiting: Step[] = [];
  /** @internal */ head = 0;
  /** @internal Whether the lane's oldest step is among the ready ones. */ active = false;
}

interface Step {
  readonly fn: () => void;
  readonly owner: StepOwner | null;
  readonly lane: Lane | null;
}

/** Tuning of {@link SimScheduler}. */
export interface SimSchedulerOptions {
  /** Most steps at one virtual instant before the run fails with `LivelockError`. */
  maxStepsPerInstant: number;
  /** Called with every exception a step throws; the run then fails. */
  onFault(error: unknown, context: string): void;
}

/**
 * Owns every asynchronous step of a simulated cluster: dispatcher turns, network steps, timer firings and
 * nemesis actions. Steps that may run now are "ready"; the scheduler picks the next one with its seeded random
 * source, so that a seed chooses one interleaving and another seed another. Time moves (on the one shared
 * `SimulatedClock`) only when nothing is ready, straight to the next timer: no real time passes.
 */
export class SimScheduler {
  private ready: Step[] = [];
  private failure: { error: unknown } | undefined;
  private stepsThisInstant = 0;
  private closed = false;
  private running = false;
  /** Steps run so far (skipped steps of crashed nodes not counted). */
  steps = 0;

  constructor(
    readonly clock: SimulatedClock,
    private readonly random: RandomSource,
    private readonly options: SimSchedulerOptions,
  ) {}

  /** Makes `fn` runnable now. */
  post(fn: () => void, owner: StepOwner | null = null, lane: Lane | null = null): void {
    if (this.closed) return;
    const step: Step = { fn, owner, lane };
    if (lane === null) {
      this.ready.push(step);
    } else if (lane.active) {
      lane.waiting.push(step);
    } else {
      lane.active = true;
      this.ready.push(step);
    }
  }

  /** Makes `fn` runnable `delayMs` of virtual time from now; the handle cancels it until then. */
  postAfter(
    delayMs: number,
    fn: () => void,
    owner: StepOwner | null = null,
    lane: Lane | null = null,
  ): TimerHandle {
    return this.clock.setTimeout(() => this.post(fn, owner, lane), delayMs);
  }

  /** Records the first failure: every drive from now on rejects with it. */
  fail(error: unknown): void {
    this.failure ??= { error };
  }

  get failed(): { error: unknown } | undefined {
    return this.failure;
  }

  /** Nothing runs any more: the simulation is over. */
  close(): void {
    this.closed = true;
    this.ready = [];
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether a drive is in progress: two at once would each move the clock under the other. */
  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Runs steps, and moves time from timer to timer, until `done()` holds or time reaches `deadline`. Returns
   * whether `done()` held; when it never did, the clock ends exactly at the deadline. Rejects with the run's
   * failure as soon as there is one.
   */
  async runUntil(done: () => boolean, deadline: number): Promise<boolean> {
    this.running = true;
    try {
      return await this.drive(done, deadline);
    } finally {
      this.running = false;
    }
  }

  private async drive(done: () => boolean, deadline: number): Promise<boolean> {
    const clock = this.clock;
    /** Whether the microtask queue has drained since the last step ran. */
    let drained = false;
    for (;;) {
      this.throwIfFailed();
      if (done()) return true;
      if (this.ready.length > 0) {
        await this.runBatch(done);
        drained = true;
        continue;
      }
      // Nothing ready: every pending promise chain (the scenario's own) must finish first, since one may post a
      // step at this very instant.
      if (!drained) {
        await settleAll();
        drained = true;
        this.throwIfFailed();
        if (this.ready.length > 0 || done()) continue;
      }
      if (this.closed) return false;
      const next = clock.nextTimerAt();
      if (next === undefined || next > deadline) {
        if (deadline > clock.now()) {
          clock.advanceTo(deadline);
          this.stepsThisInstant = 0;
        }
        return done();
      }
      // Timers only post steps, so firing every timer due at this instant runs no application code yet.
      if (next > clock.now()) this.stepsThisInstant = 0;
      clock.advanceTo(next);
    }
  }

  /**
   * Runs up to as many steps as are ready, each in a macrotask of its own, and resolves after the last one's
   * microtasks. Node drains the microtask queue after every callback, so the promise chains a step starts (an
   * ask's continuation, an async handler, a node's start) finish before the next I/O or timer; running each
   * step in its own macrotask keeps exactly that, where a few microtask ticks would let a deep chain interleave
   * with later steps as it never could in production. The macrotasks are queued together so that they run in
   * one pass of the event loop (a pass per step would cost twice as much). Each picks its step only when it
   * runs, after the previous one's promise chains are done, and does nothing once `done()` holds or nothing is
   * ready.
   */
  private runBatch(done: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      let stopped = false;
      const step = (): void => {
        if (stopped) return;
        let finished: boolean;
        try {
          finished = this.failure !== undefined || this.ready.length === 0 || done();
        } catch (error) {
          this.fail(error);
          finished = true;
        }
        if (finished) {
          stopped = true;
          return;
        }
        this.runOne();
      };
      const count = Math.min(this.ready.length, MAX_BATCH);
      for (let i = 0; i < count; i++) realSetImmediate(step);
      realSetImmediate(resolve);
    });
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private runOne(): void {
    const ready = this.ready;
    const index = Math.floor(this.random.next() * ready.length);
    const step = ready[index];
    const last = ready.pop()!;
    if (index < ready.length) ready[index] = last;
    const lane = step.lane;
    if (lane !== null) {
      if (lane.head < lane.waiting.length) {
        this.ready.push(lane.waiting[lane.head]);
        lane.waiting[lane.head++] = undefined as never;
        if (lane.head === lane.waiting.length) {
          lane.waiting.length = 0;
          lane.head = 0;
        }
      } else {
        lane.active = false;
      }
    }
    if (step.owner !== null && step.owner.dead) return;
    this.steps++;
    if (++this.stepsThisInstant > this.options.maxStepsPerInstant) {
      this.fail(new LivelockError(this.stepsThisInstant - 1, this.clock.now()));
      return;
    }
    try {
      step.fn();
    } catch (error) {
      this.options.onFault(error, 'a step');
    }
  }
}

/** Most steps queued as macrotasks at once: bounds the useless ones when `done()` comes true early. */
const MAX_BATCH = 256;
/** Resolves once the microtask queue has drained: a `setImmediate` callback only runs after it. */
export function settleAll(): Promise<void> {
  // From node:timers, not the global: Jest's fake timers replace the global and would freeze the simulation.
  return new Promise((resolve) => realSetImmediate(resolve));
}
