import {
  type ActorContext,
  type Behavior,
  InvalidArgumentError,
  receive,
  setup,
  stopped,
  type TimerScheduler,
  unhandled,
} from '@troupe/core';
import {
  type AnyStateMachine,
  createActor,
  type EmittedFrom,
  type EventFromLogic,
  type InputFrom,
  type InspectionEvent,
  type Observer,
  type Snapshot,
  type SnapshotFrom,
} from 'xstate';
import { ActorClock, DelayFired, SyncSnapshot } from './internal/ActorClock';
import { isMachineQuery, type MachineQuery } from './MachineQuery';

/** The messages an actor running {@link fromMachine} accepts: the machine's events and snapshot queries. */
export type MachineMessage<TMachine extends AnyStateMachine> =
  EventFromLogic<TMachine> | MachineQuery<TMachine>;

export interface FromMachineOptions<TMachine extends AnyStateMachine> {
  /** The machine's input, as `createActor(machine, { input })`. */
  input?: InputFrom<TMachine>;
  /**
   * A persisted snapshot (from `getPersistedSnapshot`, or `onPersist`) to start from instead of the initial
   * state. A function is called at every start, so a restart can resume from the latest one it returns; a
   * plain value means every restart goes back to that same snapshot. Entry actions of the restored state do not
   * run again and its delayed transitions are not re-armed: that is xstate's restore.
   */
  snapshot?: Snapshot<unknown> | (() => Snapshot<unknown> | undefined);
  /** Called with the snapshot after the start and after every message that changed it. */
  onSnapshot?: (snapshot: SnapshotFrom<TMachine>, ctx: ActorContext<MachineMessage<TMachine>>) => void;
  /** Called with the persisted form of the snapshot whenever `onSnapshot` would be, ready to store. */
  onPersist?: (persisted: Snapshot<unknown>) => void;
  /** Called with each event the machine `emit`s, in order, before `onSnapshot`. */
  onEmit?: (event: EmittedFrom<TMachine>, ctx: ActorContext<MachineMessage<TMachine>>) => void;
  /** xstate's inspection stream, as `createActor(machine, { inspect })`. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

/**
 * Runs an xstate v5 machine as a Troupe behaviour. Each message is an event sent to the machine; a
 * {@link MachineQuery} (see {@link getSnapshot}) is answered with the current snapshot instead.
 *
 * - Delayed transitions and delayed `sendTo`/`raise` use the actor's own timers, so they run on the actor
 *   system's clock (virtual under a `SimulatedClock` or `simulate()`), each as a message the actor handles in
 *   turn. A delay cancelled by leaving its state cancels its timer.
 * - A machine error (an action, guard or `input`/`context` factory that throws; any snapshot with status
 *   `'error'`) is thrown from the behaviour, so the parent's supervisor decides. A restart runs the behaviour
 *   again: the factory is called again and the machine starts fresh, from `options.snapshot` when it is given
 *   and from the initial state otherwise. An error while starting is an `ActorInitializationError`, which the
 *   default decider stops. After a `resume`, every message fails again with the same error: the machine is gone.
 * - When the machine reaches a top-level final state the actor stops itself, as an xstate parent stops a done
 *   child; watchers get `Terminated`.
 * - Events the machine does not accept in its current state are ignored, as xstate ignores them.
 * - Stopping the actor stops the machine: its pending delays are cancelled.
 * - Invoked actors that settle later (`fromPromise`, `fromCallback`) deliver to the machine outside a message;
 *   the actor then sends itself a message to report and check the new snapshot, so errors and `done` are still
 *   seen, but prefer `ctx.pipeToSelf` for async work, which keeps every transition inside a message.
 *
 * Pass a factory `(ctx) => machine` to give the machine's implementations the actor's context, for example to
 * tell other actors from an action; it is called at every start.
 *
 * @example
 * ```ts
 * const light = createMachine({
 *   initial: 'green',
 *   states: {
 *     green: { after: { 30_000: 'yellow' } },
 *     yellow: { after: { 5_000: 'red' } },
 *     red: { on: { GO: 'green' } },
 *   },
 * });
 * const ref = system.spawn(fromMachine(light), 'light');
 * ref.tell({ type: 'GO' });
 * ```
 */
export function fromMachine<TMachine extends AnyStateMachine>(
  machine: TMachine | ((ctx: ActorContext<EventFromLogic<TMachine>>) => TMachine),
  options: FromMachineOptions<TMachine> = {},
): Behavior<MachineMessage<TMachine>> {
  if (typeof machine !== 'function' && !isMachine(machine)) {
    throw new InvalidArgumentError('fromMachine needs an xstate state machine or a function returning one');
  }
  type M = MachineMessage<TMachine>;
  return setup<M>((ctx) => {
    const logic =
      typeof machine === 'function' ? machine(ctx as ActorContext<EventFromLogic<TMachine>>) : machine;
    if (!isMachine(logic)) {
      throw new InvalidArgumentError('the fromMachine factory did not return an xstate state machine');
    }
    const self = ctx.self;
    const clock = new ActorClock(ctx.timers as TimerScheduler<unknown>);
    const actor = createActor(logic, {
      clock,
      snapshot: typeof options.snapshot === 'function' ? options.snapshot() : options.snapshot,
      input: options.input,
      inspect: options.inspect,
      logger: (...args: unknown[]) =>
        ctx.log.info(String(args[0]), args.length > 1 ? args.slice(1) : undefined),
    });

    // Anything xstate reports while no message is being handled (an invoked promise settling) is picked up by
    // a message to self, so callbacks and failures still happen inside a handler.
    let handling = false;
    let syncRequested = false;
    const requestSync = (): void => {
      if (handling || syncRequested) return;
      syncRequested = true;
      self.tell(new SyncSnapshot() as unknown as M);
    };
    const emitted: EmittedFrom<TMachine>[] = [];
    actor.on('*', (event) => {
      emitted.push(event as EmittedFrom<TMachine>);
      requestSync();
    });
    // The error listener also keeps xstate from rethrowing the error on a later tick of the event loop.
    actor.subscribe({ next: requestSync, error: requestSync });

    let reported: unknown = undefined;
    const inside = (run: () => void): void => {
      handling = true;
      try {
        run();
      } finally {
        handling = false;
      }
    };
    const settle = (): Behavior<M> | undefined => {
      for (let event = emitted.shift(); event !== undefined; event = emitted.shift())
        options.onEmit?.(event, ctx);
      const snapshot = actor.getSnapshot() as SnapshotFrom<TMachine>;
      const { status, error } = snapshot as Snapshot<unknown>;
      if (status === 'error') throw error;
      if (snapshot !== reported) {
        reported = snapshot;
        options.onSnapshot?.(snapshot, ctx);
        if (options.onPersist) options.onPersist(actor.getPersistedSnapshot());
      }
      return status === 'done' ? stopped<M>() : undefined;
    };

    inside(() => actor.start());
    const first = settle();
    if (first) return first;

    return receive<M>(
      (_ctx, message) => {
        const raw: unknown = message;
        if (raw instanceof DelayFired) {
          inside(() => clock.fire(raw.delay));
        } else if (raw instanceof SyncSnapshot) {
          syncRequested = false;
        } else if (isMachineQuery(message)) {
          message.replyTo.tell(actor.getSnapshot() as SnapshotFrom<TMachine>);
          return undefined;
        } else {
          inside(() => actor.send(message as EventFromLogic<TMachine>));
        }
        return settle();
      },
      (_ctx, signal) => {
        if (signal.type === 'Terminated') return unhandled();
        inside(() => actor.stop());
        return undefined;
      },
    );
  });
}

function isMachine(value: unknown): value is AnyStateMachine {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AnyStateMachine).transition === 'function' &&
    typeof (value as AnyStateMachine).getInitialSnapshot === 'function'
  );
}
