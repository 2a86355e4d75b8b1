import type { ActorRef, Behavior, SpawnOptions, SupervisorStrategy } from '@troupe/core';

/** How a timer repeats, as `ctx.timers` started it. */
export type TimerMode = 'single' | 'fixed-rate' | 'fixed-delay';

/** `ctx.spawn`: the child is recorded, not started; `ref` is an inert recorder (see `kit.childInbox(name)`). */
export interface SpawnedEffect {
  readonly type: 'spawned';
  readonly name: string;
  /** Spawned without a name; `name` is then the generated one (`$1`, `$2`, …). */
  readonly anonymous: boolean;
  readonly behavior: Behavior<any>;
  /** The options as given, a string name turned into `{ name }`. */
  readonly options: SpawnOptions;
  readonly ref: ActorRef<any>;
}
/** `ctx.stop(child)`. */
export interface StoppedChildEffect {
  readonly type: 'stopped-child';
  readonly name: string;
  readonly ref: ActorRef<never>;
}
/** The behaviour under test returned `stopped()`. */
export interface StoppedSelfEffect {
  readonly type: 'stopped-self';
}
/** `ctx.watch(ref)`, or `ctx.watchWith(ref, message)` (then `withMessage` is true). */
export interface WatchedEffect<M> {
  readonly type: 'watched';
  readonly ref: ActorRef<never>;
  readonly withMessage: boolean;
  readonly message: M | undefined;
}
/** `ctx.unwatch(ref)` of a ref it was watching. */
export interface UnwatchedEffect {
  readonly type: 'unwatched';
  readonly ref: ActorRef<never>;
}
/** A timer started (or restarted: same key) through `ctx.timers`. */
export interface TimerScheduledEffect<M> {
  readonly type: 'timer-scheduled';
  readonly key: unknown;
  readonly message: M;
  readonly mode: TimerMode;
  /** Until the first tick. */
  readonly delayMs: number;
  /** Between ticks, for the repeating modes. */
  readonly intervalMs: number | undefined;
}
/** An active timer cancelled through `ctx.timers.cancel` or `cancelAll`. */
export interface TimerCancelledEffect {
  readonly type: 'timer-cancelled';
  readonly key: unknown;
}
/** `ctx.setSupervisorStrategy`. */
export interface SupervisorStrategySetEffect {
  readonly type: 'supervisor-strategy-set';
  readonly strategy: SupervisorStrategy;
}
/** `ctx.pipeToSelf`: the mapped outcome arrives in the self inbox once the promise settles. */
export interface PipedToSelfEffect {
  readonly type: 'piped-to-self';
  readonly promise: PromiseLike<unknown>;
}

/**
 * What a behaviour did through its context, as `BehaviorTestKit` records it, in order. Messages it sent are
 * not effects: they are in the inboxes of the refs they went to.
 */
export type Effect<M = unknown> =
  | SpawnedEffect
  | StoppedChildEffect
  | StoppedSelfEffect
  | WatchedEffect<M>
  | UnwatchedEffect
  | TimerScheduledEffect<M>
  | TimerCancelledEffect
  | SupervisorStrategySetEffect
  | PipedToSelfEffect;

/** An active timer, as `kit.activeTimers` lists it. */
export interface TimerInfo<M> {
  readonly key: unknown;
  readonly message: M;
  readonly mode: TimerMode;
  readonly delayMs: number;
  readonly intervalMs: number | undefined;
}

/** A live child, as `kit.children` lists it. */
export interface SpawnedChild {
  readonly name: string;
  readonly behavior: Behavior<any>;
  readonly options: SpawnOptions;
  readonly ref: ActorRef<any>;
}

/** A line written through `ctx.log`. */
export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly data: unknown;
}
