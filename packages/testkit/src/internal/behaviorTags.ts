import { type ActorContext, type Behavior, inspectBehavior, type Next, type Signal } from '@troupe/core';

/** Behaviour kinds as numbers, for quick comparisons in the kit; read through core's `inspectBehavior`. */
export const BehaviorTag = {
  Receive: 0,
  Setup: 1,
  Same: 2,
  Stopped: 3,
  Unhandled: 4,
  Empty: 5,
  Ignore: 6,
} as const;

const BY_KIND = {
  receive: BehaviorTag.Receive,
  setup: BehaviorTag.Setup,
  same: BehaviorTag.Same,
  stopped: BehaviorTag.Stopped,
  unhandled: BehaviorTag.Unhandled,
  empty: BehaviorTag.Empty,
  ignore: BehaviorTag.Ignore,
} as const;

/** The tag of anything that claims to be a behaviour, or undefined. */
export function tagOf(b: unknown): number | undefined {
  const view = inspectBehavior(b as Behavior<unknown>);
  return view ? BY_KIND[view.kind] : undefined;
}

/** The message and signal entry points of a receiving behaviour. */
export interface ReceivingLike<M> {
  _onMessage(ctx: ActorContext<M>, message: M): Next<M>;
  _onSignal(ctx: ActorContext<M>, signal: Signal): Next<M>;
}

export interface SetupLike<M> {
  factory(ctx: ActorContext<M>): Behavior<M> | Promise<Behavior<M>>;
}

export interface StoppedLike {
  readonly postStop: (() => void) | undefined;
}

function view<M>(b: Behavior<M>, kind: string) {
  const v = inspectBehavior(b);
  if (v?.kind !== kind) throw new TypeError(`not a ${kind} behaviour`);
  return v;
}

export function asReceiving<M>(b: Behavior<M>): ReceivingLike<M> {
  const v = view(b, 'receive') as Extract<ReturnType<typeof inspectBehavior<M>>, { kind: 'receive' }>;
  return { _onMessage: v.onMessage, _onSignal: v.onSignal };
}
export function asSetup<M>(b: Behavior<M>): SetupLike<M> {
  return view(b, 'setup') as SetupLike<M>;
}
export function asStopped<M>(b: Behavior<M>): StoppedLike {
  return view(b, 'stopped') as unknown as StoppedLike;
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}
