import { type ActorRef, ask, type AskOptions } from '@troupe/core';
import type { AnyStateMachine, SnapshotFrom } from 'xstate';
import type { MachineQuery } from './MachineQuery';

/**
 * The current snapshot of the machine that `ref` runs with {@link fromMachine}, through `ask`: rejects with
 * `AskTimeoutError` or `RecipientTerminatedError` as `ask` does.
 *
 * @example
 * ```ts
 * const light = system.spawn(fromMachine(trafficLight), 'light');
 * const snapshot = await getSnapshot(light);
 * snapshot.value; // 'green'
 * ```
 */
export function getSnapshot<TMachine extends AnyStateMachine>(
  ref: ActorRef<MachineQuery<TMachine>>,
  options?: AskOptions,
): Promise<SnapshotFrom<TMachine>> {
  return ask(
    ref,
    (replyTo: ActorRef<SnapshotFrom<TMachine>>): MachineQuery<TMachine> => ({
      type: 'xstate.snapshot',
      replyTo,
    }),
    options,
  );
}
