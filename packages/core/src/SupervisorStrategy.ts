import { ActorInitializationError, InvalidArgumentError } from './ActorError';

/** What a supervisor does with a child that failed. */
export type Directive = 'resume' | 'restart' | 'stop' | 'escalate';

/** Chooses a directive from the error a child failed with. */
export type Decider = (error: unknown) => Directive;

/**
 * When a child is restarted, as in Erlang's child specs:
 * - `permanent`: always; also when it stops by itself (returns `stopped`), which counts as a restart.
 * - `transient`: only after a failure; stopping by itself is final. The default, as in Akka.
 * - `temporary`: never; a `restart` directive stops it instead.
 */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/** Which children a restart touches: the failed one, all of them, or the failed one and those started after it. */
export type StrategyKind = 'one-for-one' | 'all-for-one' | 'rest-for-one';

export interface BackoffOptions {
  /** Delay before the first restart. */
  minMs: number;
  /** Cap on the delay, which doubles at each consecutive restart. */
  maxMs: number;
  /** Up to this fraction of the delay is added at random (seeded by the system's random source). Default 0.2. */
  randomFactor?: number;
  /** A child that ran this long without failing starts again from `minMs`. Default: `maxMs`. */
  resetAfterMs?: number;
}

/**
 * Akka classic's default decider: a failure in `setup` stops the child (restarting would fail the same way),
 * anything else restarts it.
 */
export const defaultDecider: Decider = (error) =>
  error instanceof ActorInitializationError ? 'stop' : 'restart';

/**
 * How an actor supervises its children: an immutable value, changed with `with*` methods that return a copy.
 *
 * The restart budget is the supervisor's, as in Erlang's intensity and period: at most `maxRestarts` restarts (of
 * any of its children) within `withinMs`. One more, and the supervisor itself fails with a
 * `RestartLimitExceededError` that its own parent handles.
 *
 * @example
 * ```ts
 * const strategy = SupervisorStrategy.oneForOne()
 *   .withDecider((e) => (e instanceof ValidationError ? 'resume' : 'restart'))
 *   .withLimit(3, 1000)
 *   .withBackoff({ minMs: 100, maxMs: 10_000 });
 * const sup = system.spawn(supervisorBehavior, { name: 'sup', supervisorStrategy: strategy });
 * ```
 */
export class SupervisorStrategy {
  private constructor(
    readonly kind: StrategyKind,
    readonly decider: Decider,
    readonly maxRestarts: number,
    readonly withinMs: number,
    readonly backoff: Readonly<Required<BackoffOptions>> | undefined,
  ) {}

  /** Restart only the child that failed. Default budget: 10 restarts within 60 s. */
  static oneForOne(decider: Decider = defaultDecider): SupervisorStrategy {
    return new SupervisorStrategy('one-for-one', decider, 10, 60_000, undefined);
  }
  /** Restart every child when one fails (Erlang's one_for_all). */
  static allForOne(decider: Decider = defaultDecider): SupervisorStrategy {
    return new SupervisorStrategy('all-for-one', decider, 10, 60_000, undefined);
  }
  /** Restart the failed child and every child started after it (Erlang's rest_for_one). */
  static restForOne(decider: Decider = defaultDecider): SupervisorStrategy {
    return new SupervisorStrategy('rest-for-one', decider, 10, 60_000, undefined);
  }

  withDecider(decider: Decider): SupervisorStrategy {
    return new SupervisorStrategy(this.kind, decider, this.maxRestarts, this.withinMs, this.backoff);
  }

  /** At most `maxRestarts` within `withinMs`; `Infinity` for no limit. */
  withLimit(maxRestarts: number, withinMs: number): SupervisorStrategy {
    if (!(maxRestarts >= 0) || !(withinMs > 0)) {
      throw new InvalidArgumentError('withLimit needs maxRestarts >= 0 and withinMs > 0');
    }
    return new SupervisorStrategy(this.kind, this.decider, maxRestarts, withinMs, this.backoff);
  }

  /** Restart after an exponentially growing, jittered delay; messages wait in the mailbox meanwhile. */
  withBackoff(options: BackoffOptions): SupervisorStrategy {
    const { minMs, maxMs, randomFactor = 0.2, resetAfterMs = maxMs } = options;
    if (!(minMs >= 0) || !(maxMs >= minMs) || !(randomFactor >= 0) || !(resetAfterMs >= 0)) {
      throw new InvalidArgumentError(
        'withBackoff needs 0 <= minMs <= maxMs, randomFactor >= 0, resetAfterMs >= 0',
      );
    }
    return new SupervisorStrategy(this.kind, this.decider, this.maxRestarts, this.withinMs, {
      minMs,
      maxMs,
      randomFactor,
      resetAfterMs,
    });
  }

  /** @internal A decider that throws escalates, so a bug in it is never swallowed. */
  decide(error: unknown): Directive {
    try {
      return this.decider(error);
    } catch {
      return 'escalate';
    }
  }

  /** @internal Delay before restart number `attempt` (0-based) given a random draw in [0, 1). */
  backoffDelay(attempt: number, draw: number): number {
    const b = this.backoff;
    if (!b) return 0;
    const base = Math.min(b.maxMs, b.minMs * 2 ** Math.min(attempt, 30));
    // Jitter on top of the cap, as Akka does, so that children capped together still spread out.
    return base * (1 + draw * b.randomFactor);
  }
}
