import type { ActorRef } from './ActorRef';

/** Sent to the current behaviour just before a supervisor restarts the actor. */
export interface PreRestart {
  readonly type: 'PreRestart';
}
/** Sent to the current behaviour when the actor stops, after all its children have stopped. */
export interface PostStop {
  readonly type: 'PostStop';
}
/** A watched actor terminated. Delivered exactly once per watch, after the messages it sent before it died. */
export interface Terminated {
  readonly type: 'Terminated';
  readonly ref: ActorRef<never>;
}

/** Lifecycle notifications delivered to a behaviour's signal handler. */
export type Signal = PreRestart | PostStop | Terminated;

export const PreRestart: PreRestart = Object.freeze({ type: 'PreRestart' });
export const PostStop: PostStop = Object.freeze({ type: 'PostStop' });
export function Terminated(ref: ActorRef<never>): Terminated {
  return { type: 'Terminated', ref };
}
