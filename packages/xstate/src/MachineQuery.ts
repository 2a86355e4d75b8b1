import type { ActorRef } from '@troupe/core';
import type { AnyStateMachine, SnapshotFrom } from 'xstate';

/**
 * Asks an actor running {@link fromMachine} for its machine's current snapshot. Answered at once, never passed to
 * the machine. Usually sent through {@link getSnapshot}.
 *
 * @example
 * ```ts
 * const snapshot = await ask(light, (replyTo) => ({ type: 'xstate.snapshot', replyTo }));
 * ```
 */
export interface MachineQuery<TMachine extends AnyStateMachine> {
  readonly type: 'xstate.snapshot';
  readonly replyTo: ActorRef<SnapshotFrom<TMachine>>;
}

/** Whether `message` is a {@link MachineQuery}. */
export function isMachineQuery(message: unknown): message is MachineQuery<AnyStateMachine> {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'xstate.snapshot' &&
    'replyTo' in message
  );
}
