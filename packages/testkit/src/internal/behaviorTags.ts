import type { ActorContext, Behavior, Next, Signal } from '@troupe/core';

/**
 * Core's behaviour kinds. Core checks `behavior._tag` against its `Tag` const enum, which `@troupe/core` does
 * not export (and a const enum cannot be read across an `isolatedModules` boundary anyway), so the numbers are
 * copied here. They must stay in step with `Tag` in core's `src/Behavior.ts`; the BehaviorTestKit tests
 * interpret every public behaviour constructor, so a drift shows up there.
 */
export const BehaviorTag = {
  Receive: 0,
  Setup: 1,
  Same: 2,
  Stopped: 3,
  Unhandled: 4,
  Empty: 5,
  Ignore: 6,
} as const;

/** The tag of anything that claims to be a behaviour, or undefined. */
export function tagOf(b: unknown): number | undefined {
  const tag = (b as { _tag?: unknown } | null | undefined)?._tag;
  return typeof tag === 'number' ? tag : undefined;
}

/** What core's `ReceivingBehavior` (not exported) offers the runtime: the message and signal entry points. */
export interface ReceivingLike<M> {
  _onMessage(ctx: ActorContext<M>, message: M): Next<M>;
  _onSignal(ctx: ActorContext<M>, signal: Signal): Next<M>;
}

/** Core's `SetupBehavior` (not exported). */
export interface SetupLike<M> {
  factory(ctx: ActorContext<M>): Behavior<M> | Promise<Behavior<M>>;
}

/** Core's `StoppedBehavior` (not exported). */
export interface StoppedLike {
  readonly postStop: (() => void) | undefined;
}

export function asReceiving<M>(b: Behavior<M>): ReceivingLike<M> {
  return b as unknown as ReceivingLike<M>;
}
export function asSetup<M>(b: Behavior<M>): SetupLike<M> {
  return b as unknown as SetupLike<M>;
}
export function asStopped<M>(b: Behavior<M>): StoppedLike {
  return b as unknown as StoppedLike;
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}
