import type { ActorRef } from './ActorRef';
import type { ActorSystem } from './ActorSystem';
import type { Behavior } from './Behavior';
import type { LogLevel } from './EventStream';
import type { RestartType, SupervisorStrategy } from './SupervisorStrategy';

/** What happens to a message sent to a full mailbox. Either way the dropped one is a dead letter. */
export type OverflowStrategy = 'drop-newest' | 'drop-oldest';

export interface MailboxOptions {
  /** Most user messages waiting at once. Default: unbounded. */
  capacity: number;
  /** Default `drop-newest`. */
  overflow?: OverflowStrategy;
}

export interface SpawnOptions {
  /** Unique among live siblings; letters, digits and `-_.:@~`, not starting with `$`. Default: generated. */
  name?: string;
  /** See {@link RestartType}. Default `transient`. */
  restart?: RestartType;
  /** Bound the user mailbox. System messages (supervision, watch, stop) are never bounded. */
  mailbox?: MailboxOptions;
  /** How this actor supervises its own children. Default: the system's. */
  supervisorStrategy?: SupervisorStrategy;
  /** Capacity of `ctx.stash`. Default 1000. */
  stashCapacity?: number;
}

/**
 * Timers owned by one actor: each sends a message to the actor itself. A timer started again with the same key
 * replaces the old one, and a cancelled timer's message is never delivered, even if it was already queued. All
 * timers are cancelled when the actor restarts or stops.
 */
export interface TimerScheduler<M> {
  startSingleTimer(key: unknown, message: M, delayMs: number): void;
  /** Every `intervalMs` from now, on a fixed schedule (no drift from slow handlers). */
  startTimerAtFixedRate(key: unknown, message: M, intervalMs: number, initialDelayMs?: number): void;
  /** Again `delayMs` after each delivery. */
  startTimerWithFixedDelay(key: unknown, message: M, delayMs: number): void;
  isTimerActive(key: unknown): boolean;
  cancel(key: unknown): void;
  cancelAll(): void;
}

/**
 * Messages put aside to handle later, bounded. `stash` beyond capacity throws a `StashOverflowError`, which is a
 * failure of the handler. `unstashAll` puts them back at the front of the mailbox, in order. On restart the
 * stash goes back to the mailbox too; on stop its messages become dead letters.
 */
export interface StashBuffer<M> {
  readonly size: number;
  readonly capacity: number;
  readonly isEmpty: boolean;
  readonly isFull: boolean;
  stash(message: M): void;
  unstashAll(): void;
}

export interface Logger {
  debug(message: string, data?: unknown): void;
  info(message: string, data?: unknown): void;
  warn(message: string, data?: unknown): void;
  error(message: string, data?: unknown): void;
  isEnabled(level: LogLevel): boolean;
}

/**
 * An actor's view of itself and the world, handed to every handler. Only valid inside the actor: never keep it
 * for use from outside.
 */
export interface ActorContext<M> {
  readonly self: ActorRef<M>;
  readonly system: ActorSystem;
  /** The supervisor, or undefined for a guardian. */
  readonly parent: ActorRef<never> | undefined;
  /** Live children in start order. */
  readonly children: ReadonlyArray<ActorRef<never>>;
  child(name: string): ActorRef<never> | undefined;

  /**
   * Starts a child. Throws `InvalidActorNameError` or `ActorNameTakenError` for a bad name.
   *
   * @example
   * ```ts
   * const worker = ctx.spawn(workerBehavior, { name: 'worker-1', restart: 'permanent' });
   * ```
   */
  spawn<C>(behavior: Behavior<C>, options?: SpawnOptions | string): ActorRef<C>;
  /** Stops a child (after its own children). Throws `InvalidArgumentError` if `child` is not a child. */
  stop(child: ActorRef<never>): void;
  /** Changes how this actor supervises its children from now on. */
  setSupervisorStrategy(strategy: SupervisorStrategy): void;

  /** Delivers a `Terminated` signal when `ref` terminates: exactly once, at once if it already has. */
  watch(ref: ActorRef<never>): void;
  /** Like `watch`, but delivers `message` instead of the signal. */
  watchWith(ref: ActorRef<never>, message: M): void;
  /** Stops watching; a notification not yet handled is dropped. */
  unwatch(ref: ActorRef<never>): void;

  readonly timers: TimerScheduler<M>;
  readonly stash: StashBuffer<M>;
  readonly log: Logger;

  /**
   * Sends the outcome of `promise` to this actor as a message, so async work never touches state outside a
   * handler.
   *
   * @example
   * ```ts
   * ctx.pipeToSelf(fetchUser(id), (user) => ({ type: 'loaded', user }), (error) => ({ type: 'failed', error }));
   * ```
   */
  pipeToSelf<T>(promise: PromiseLike<T>, onSuccess: (value: T) => M, onFailure: (error: unknown) => M): void;
}
