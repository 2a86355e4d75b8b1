import type { ActorContext } from './ActorContext';
import type { Signal } from './Signal';

/** @internal Behaviour kinds, checked on the hot path by number. */
export const enum Tag {
  Receive = 0,
  Setup = 1,
  Same = 2,
  Stopped = 3,
  Unhandled = 4,
  Empty = 5,
  Ignore = 6,
}

/**
 * What an actor does with its next message. A handler returns the behaviour for the message after (or nothing,
 * meaning "the same"), so state lives in closures or in the returned behaviour and nothing is shared.
 *
 * Behaviours are contravariant in `M`, like refs: a behaviour that handles `A | B` serves where one for `A` is
 * wanted.
 */
export abstract class Behavior<in M> {
  /** @internal */
  abstract readonly _tag: Tag;
  /** @internal Phantom: keeps `M` in the type. */
  declare readonly _accepts?: (message: M) => void;
}

/**
 * What a handler may return: the next behaviour, nothing (the same behaviour), or a promise of either. A
 * promise holds the actor's mailbox until it settles; a rejection is a failure, exactly like a throw.
 */
export type Next<M> = Behavior<M> | void | Promise<Behavior<M> | void>;

/** @internal A behaviour that handles messages and signals. */
export abstract class ReceivingBehavior<M> extends Behavior<M> {
  readonly _tag = Tag.Receive;
  /** @internal */
  abstract _onMessage(ctx: ActorContext<M>, message: M): Next<M>;
  /** @internal */
  abstract _onSignal(ctx: ActorContext<M>, signal: Signal): Next<M>;
}

class FunctionBehavior<M> extends ReceivingBehavior<M> {
  constructor(
    private readonly onMessage: (ctx: ActorContext<M>, message: M) => Next<M>,
    private readonly onSignal: ((ctx: ActorContext<M>, signal: Signal) => Next<M>) | undefined,
  ) {
    super();
  }
  _onMessage(ctx: ActorContext<M>, message: M): Next<M> {
    return this.onMessage(ctx, message);
  }
  _onSignal(ctx: ActorContext<M>, signal: Signal): Next<M> {
    return this.onSignal ? this.onSignal(ctx, signal) : UNHANDLED;
  }
}

/** @internal */
export class SetupBehavior<M> extends Behavior<M> {
  readonly _tag = Tag.Setup;
  constructor(readonly factory: (ctx: ActorContext<M>) => Behavior<M> | Promise<Behavior<M>>) {
    super();
  }
}

/** @internal */
export class StoppedBehavior<M> extends Behavior<M> {
  readonly _tag = Tag.Stopped;
  constructor(readonly postStop: (() => void) | undefined) {
    super();
  }
}

class MarkerBehavior extends Behavior<any> {
  constructor(readonly _tag: Tag) {
    super();
  }
}

const SAME = new MarkerBehavior(Tag.Same);
const UNHANDLED = new MarkerBehavior(Tag.Unhandled);
const EMPTY = new MarkerBehavior(Tag.Empty);
const IGNORE = new MarkerBehavior(Tag.Ignore);
const STOPPED = new StoppedBehavior<any>(undefined);

/**
 * A behaviour from a message handler and an optional signal handler (`PreRestart`, `PostStop`, `Terminated`).
 *
 * @example
 * ```ts
 * const counter = (n: number): Behavior<{ type: 'inc' } | { type: 'get'; replyTo: ActorRef<number> }> =>
 *   receive((ctx, msg) => {
 *     if (msg.type === 'inc') return counter(n + 1);
 *     msg.replyTo.tell(n);
 *   });
 * ```
 */
export function receive<M>(
  onMessage: (ctx: ActorContext<M>, message: M) => Next<M>,
  onSignal?: (ctx: ActorContext<M>, signal: Signal) => Next<M>,
): Behavior<M> {
  return new FunctionBehavior(onMessage, onSignal);
}

/**
 * Like {@link receive}, for handlers that do not need the context.
 *
 * @example
 * ```ts
 * const echo = receiveMessage<{ text: string; replyTo: ActorRef<string> }>((m) => m.replyTo.tell(m.text));
 * ```
 */
export function receiveMessage<M>(
  onMessage: (message: M) => Next<M>,
  onSignal?: (ctx: ActorContext<M>, signal: Signal) => Next<M>,
): Behavior<M> {
  return new FunctionBehavior((_ctx, message) => onMessage(message), onSignal);
}

/**
 * A behaviour that only handles signals; every message is unhandled.
 *
 * @example
 * ```ts
 * const watcher = receiveSignal<never>((ctx, sig) => { if (sig.type === 'Terminated') return stopped(); });
 * ```
 */
export function receiveSignal<M>(onSignal: (ctx: ActorContext<M>, signal: Signal) => Next<M>): Behavior<M> {
  return new FunctionBehavior<M>(() => UNHANDLED, onSignal);
}

/**
 * Runs `factory` when the actor starts (and again at each restart) and behaves as the behaviour it returns. The
 * place to spawn children, start timers and build state. A throw (or rejected promise) is an
 * `ActorInitializationError` for the supervisor.
 *
 * @example
 * ```ts
 * const ticker = setup<'tick'>((ctx) => {
 *   ctx.timers.startTimerAtFixedRate('tick', 'tick', 1000);
 *   return receiveMessage(() => ctx.log.info('tick'));
 * });
 * ```
 */
export function setup<M>(factory: (ctx: ActorContext<M>) => Behavior<M> | Promise<Behavior<M>>): Behavior<M> {
  return new SetupBehavior(factory);
}

/** Keep the current behaviour. Returning nothing from a handler means the same. */
export function same<M = any>(): Behavior<M> {
  return SAME;
}

/** Stop this actor. `postStop`, if given, runs after the `PostStop` signal has reached the previous behaviour. */
export function stopped<M = any>(postStop?: () => void): Behavior<M> {
  return postStop ? new StoppedBehavior<M>(postStop) : STOPPED;
}

/** The message was not handled: it is published as an `unhandled` event and the behaviour stays. */
export function unhandled<M = any>(): Behavior<M> {
  return UNHANDLED;
}

/** A behaviour that treats every message as unhandled. */
export function empty<M = any>(): Behavior<M> {
  return EMPTY;
}

/** A behaviour that silently ignores every message and signal. */
export function ignore<M = any>(): Behavior<M> {
  return IGNORE;
}

/**
 * The class style on the same machinery: subclass, implement `onMessage`, return `this` to keep going. Create it
 * inside {@link setup} so it gets its context.
 *
 * @example
 * ```ts
 * class Counter extends AbstractBehavior<'inc'> {
 *   private n = 0;
 *   onMessage() { this.n++; return this; }
 * }
 * const ref = system.spawn(setup((ctx) => new Counter(ctx)));
 * ```
 */
export abstract class AbstractBehavior<M> extends ReceivingBehavior<M> {
  constructor(protected readonly context: ActorContext<M>) {
    super();
  }
  abstract onMessage(message: M): Next<M>;
  /** Override to handle lifecycle signals; unhandled by default. */
  onSignal(_signal: Signal): Next<M> {
    return UNHANDLED;
  }
  /** @internal */
  _onMessage(_ctx: ActorContext<M>, message: M): Next<M> {
    return this.onMessage(message);
  }
  /** @internal */
  _onSignal(_ctx: ActorContext<M>, signal: Signal): Next<M> {
    return this.onSignal(signal);
  }
}

/**
 * What a behaviour is, for tools that interpret behaviours themselves (the test kit's synchronous
 * `BehaviorTestKit`). Applications never need it.
 */
export type BehaviorView<M> =
  | {
      readonly kind: 'receive';
      onMessage(ctx: ActorContext<M>, message: M): Next<M>;
      onSignal(ctx: ActorContext<M>, signal: Signal): Next<M>;
    }
  | { readonly kind: 'setup'; factory(ctx: ActorContext<M>): Behavior<M> | Promise<Behavior<M>> }
  | { readonly kind: 'stopped'; readonly postStop: (() => void) | undefined }
  | { readonly kind: 'same' | 'unhandled' | 'empty' | 'ignore' };

const KINDS = ['receive', 'setup', 'same', 'stopped', 'unhandled', 'empty', 'ignore'] as const;

/**
 * A view of `behavior` (undefined for anything that is not a behaviour).
 *
 * @example
 * ```ts
 * const view = inspectBehavior(b);
 * if (view?.kind === 'receive') view.onMessage(ctx, message);
 * ```
 */
export function inspectBehavior<M>(behavior: Behavior<M>): BehaviorView<M> | undefined {
  const tag = (behavior as { _tag?: unknown } | null | undefined)?._tag;
  if (typeof tag !== 'number' || !(tag in KINDS)) return undefined;
  const kind = KINDS[tag];
  switch (kind) {
    case 'receive': {
      const r = behavior as ReceivingBehavior<M>;
      return { kind, onMessage: (ctx, m) => r._onMessage(ctx, m), onSignal: (ctx, s) => r._onSignal(ctx, s) };
    }
    case 'setup': {
      const f = (behavior as SetupBehavior<M>).factory;
      return { kind, factory: (ctx) => f(ctx) };
    }
    case 'stopped':
      return { kind, postStop: (behavior as StoppedBehavior<M>).postStop };
    default:
      return { kind };
  }
}
