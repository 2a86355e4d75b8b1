import {
  type ActorRef,
  ActorInitializationError,
  InvalidArgumentError,
  SupervisorStrategy,
} from '@troupe/core';
import { createTestKit, type TestKit } from '@troupe/testkit';
import { fromMachine, getSnapshot, type MachineQuery } from '@troupe/xstate';
import {
  type AnyStateMachine,
  assign,
  createMachine,
  emit,
  fromPromise,
  raise,
  type Snapshot,
  type SnapshotFrom,
  setup as machineSetup,
} from 'xstate';

class BrokenBulb extends Error {}

type LightEvent = { type: 'GO' } | { type: 'STOP' } | { type: 'BREAK' } | { type: 'CHECK' } | { type: 'OFF' };

/** green --1000ms--> yellow --500ms--> red --GO--> green; counts cycles; BREAK throws; OFF is final. */
const light = machineSetup({
  types: {
    events: {} as LightEvent,
    context: {} as { cycles: number },
    emitted: {} as { type: 'red'; cycle: number },
  },
  actions: {
    explode: () => {
      throw new BrokenBulb('the bulb broke');
    },
  },
  guards: {
    broken: () => {
      throw new BrokenBulb('the sensor broke');
    },
  },
}).createMachine({
  id: 'light',
  initial: 'green',
  context: { cycles: 0 },
  on: { BREAK: { actions: 'explode' }, CHECK: { guard: 'broken', target: '.red' }, OFF: '.off' },
  states: {
    green: { after: { 1000: 'yellow' }, on: { STOP: 'red' } },
    yellow: { after: { 500: 'red' } },
    red: {
      entry: [
        assign({ cycles: ({ context }) => context.cycles + 1 }),
        emit(({ context }) => ({ type: 'red' as const, cycle: context.cycles })),
      ],
      on: { GO: 'green' },
    },
    off: { type: 'final' },
  },
});

let kit: TestKit;
afterEach(() => kit.shutdown());

/** getSnapshot, with the manual executor run until the reply is in. */
async function snapshotOf<T extends AnyStateMachine>(
  ref: ActorRef<MachineQuery<T>>,
): Promise<SnapshotFrom<T>> {
  const reply = getSnapshot(ref);
  await kit.runUntilIdle();
  return reply;
}

/** Reports every state the machine enters, with the virtual time it entered it. */
function recorder() {
  const probe = kit.createProbe<{ value: unknown; at: number }>();
  const onSnapshot = (s: { value: unknown }) => probe.ref.tell({ value: s.value, at: kit.clock.now() });
  return { probe, onSnapshot };
}

describe('fromMachine', () => {
  beforeEach(() => {
    kit = createTestKit();
  });

  it('turns messages into events that drive transitions, and answers getSnapshot with the current snapshot', async () => {
    const ref = kit.system.spawn(fromMachine(light), 'light');
    expect((await snapshotOf(ref)).value).toBe('green');

    ref.tell({ type: 'STOP' });
    const red = await snapshotOf(ref);
    expect(red.value).toBe('red');
    expect(red.context.cycles).toBe(1);

    ref.tell({ type: 'GO' });
    expect((await snapshotOf(ref)).value).toBe('green');
  });

  it('ignores events the current state does not accept, without failing', async () => {
    const ref = kit.system.spawn(fromMachine(light), 'light');
    ref.tell({ type: 'GO' }); // only red accepts GO
    expect((await snapshotOf(ref)).value).toBe('green');
    expect(kit.eventsOf('actor-failed')).toEqual([]);
  });

  it('restores from a persisted snapshot and continues where it left off', async () => {
    const saved: Snapshot<unknown>[] = [];
    const first = kit.system.spawn(fromMachine(light, { onPersist: (p) => saved.push(p) }), 'first');
    first.tell({ type: 'STOP' });
    first.tell({ type: 'GO' });
    first.tell({ type: 'STOP' });
    await kit.runUntilIdle();
    kit.system.stop(first);

    const persisted = JSON.parse(JSON.stringify(saved[saved.length - 1])) as Snapshot<unknown>;
    const second = kit.system.spawn(fromMachine(light, { snapshot: persisted }), 'second');
    const restored = await snapshotOf(second);
    expect(restored.value).toBe('red');
    expect(restored.context.cycles).toBe(2);

    second.tell({ type: 'GO' });
    second.tell({ type: 'STOP' });
    expect((await snapshotOf(second)).context.cycles).toBe(3);
  });

  it('does not re-arm the delays of a restored state, as xstate does not', async () => {
    const saved: Snapshot<unknown>[] = [];
    const first = kit.system.spawn(fromMachine(light, { onPersist: (p) => saved.push(p) }), 'first');
    await kit.runUntilIdle();
    kit.system.stop(first);

    const second = kit.system.spawn(fromMachine(light, { snapshot: saved[0] }), 'second');
    await kit.advance(5000);
    expect((await snapshotOf(second)).value).toBe('green');
  });

  it('takes a delayed transition exactly when the virtual delay has passed, and not before', async () => {
    const { probe, onSnapshot } = recorder();
    kit.system.spawn(fromMachine(light, { onSnapshot }), 'light');
    await probe.expectMessage({ value: 'green', at: 0 });

    await kit.advance(999);
    await probe.expectNoMessage(0);
    await kit.advance(1);
    await probe.expectMessage({ value: 'yellow', at: 1000 }, 0);
    await kit.advance(500);
    await probe.expectMessage({ value: 'red', at: 1500 }, 0);
  });

  it('never fires a delay cancelled by leaving its state, and leaves no timer behind', async () => {
    const { probe, onSnapshot } = recorder();
    const before = kit.clock.pendingTimers;
    const ref = kit.system.spawn(fromMachine(light, { onSnapshot }), 'light');
    await kit.runUntilIdle();
    expect(kit.clock.pendingTimers).toBe(before + 1);

    await kit.advance(400);
    ref.tell({ type: 'STOP' }); // green -> red before its 1000 ms
    await kit.runUntilIdle();
    expect(kit.clock.pendingTimers).toBe(before);

    await kit.advance(5000);
    expect(probe.received.map((r) => r.message.value)).toEqual(['green', 'red']);
  });

  it('clears pending delayed timers when the actor stops', async () => {
    const before = kit.clock.pendingTimers;
    const ref = kit.system.spawn(fromMachine(light), 'light');
    await kit.runUntilIdle();
    expect(kit.clock.pendingTimers).toBe(before + 1);

    kit.system.stop(ref);
    await kit.runUntilIdle();
    expect(kit.clock.pendingTimers).toBe(before);
  });

  it('fails with the action’s error, so the supervisor restarts it from the initial state', async () => {
    const ref = kit.system.spawn(fromMachine(light), 'light');
    ref.tell({ type: 'STOP' });
    expect((await snapshotOf(ref)).value).toBe('red');

    ref.tell({ type: 'BREAK' });
    await kit.runUntilIdle();
    const [decision] = kit.eventsOf('supervision');
    expect(decision).toMatchObject({
      child: expect.objectContaining({ path: ref.path }),
      directive: 'restart',
    });
    expect(decision.error).toBeInstanceOf(BrokenBulb);

    const fresh = await snapshotOf(ref);
    expect(fresh.value).toBe('green');
    expect(fresh.context.cycles).toBe(0);
  });

  it('fails with a guard’s error too', async () => {
    const ref = kit.system.spawn(fromMachine(light), 'light');
    ref.tell({ type: 'CHECK' });
    await kit.runUntilIdle();
    const [decision] = kit.eventsOf('supervision');
    expect(decision.directive).toBe('restart');
    // xstate rethrows a guard's error as a plain Error that names the guard (the original is not kept).
    expect(decision.error).toBeInstanceOf(Error);
    expect(decision.child).toBe(ref);
  });

  it('restarts from the latest persisted snapshot when options.snapshot is a function', async () => {
    let saved: Snapshot<unknown> | undefined;
    const ref = kit.system.spawn(
      fromMachine(light, { snapshot: () => saved, onPersist: (p) => (saved = p) }),
      'light',
    );
    ref.tell({ type: 'STOP' });
    ref.tell({ type: 'BREAK' });
    await kit.runUntilIdle();
    expect(kit.eventsOf('actor-restarted')).toHaveLength(1);
    const after = await snapshotOf(ref);
    expect(after.value).toBe('red');
    expect(after.context.cycles).toBe(1);
  });

  it('stops when the supervisor decides to stop it', async () => {
    await kit.shutdown();
    kit = createTestKit({ supervisorStrategy: SupervisorStrategy.oneForOne(() => 'stop') });
    const probe = kit.createProbe<never>();
    const ref = kit.system.spawn(fromMachine(light), 'light');
    probe.watch(ref);
    ref.tell({ type: 'BREAK' });
    await probe.expectTerminated(ref);
    expect(kit.eventsOf('supervision')).toEqual([
      expect.objectContaining({
        child: expect.objectContaining({ path: ref.path }),
        directive: 'stop',
        error: expect.any(BrokenBulb),
      }),
    ]);
  });

  it('stops the actor when the machine reaches a final state', async () => {
    const probe = kit.createProbe<never>();
    const ref = kit.system.spawn(fromMachine(light), 'light');
    probe.watch(ref);
    ref.tell({ type: 'OFF' });
    await probe.expectTerminated(ref);
    expect(kit.eventsOf('actor-failed')).toEqual([]);
  });

  it('lets a factory machine tell another actor from an action', async () => {
    const probe = kit.createProbe<string>();
    const door = createMachine({
      types: { events: {} as { type: 'OPEN' } },
      initial: 'closed',
      states: { closed: { on: { OPEN: { target: 'open', actions: 'announce' } } }, open: {} },
    });
    const ref = kit.system.spawn(
      fromMachine((ctx) =>
        door.provide({ actions: { announce: () => probe.ref.tell(`opened by ${ctx.self.name}`) } }),
      ),
      'door',
    );
    ref.tell({ type: 'OPEN' });
    await probe.expectMessage('opened by door');
  });

  it('hands emitted events to onEmit, in order, inside the actor', async () => {
    const probe = kit.createProbe<string>();
    const ref = kit.system.spawn(
      fromMachine(light, {
        onEmit: (event, ctx) => probe.ref.tell(`${ctx.self.name}: ${event.type} ${event.cycle}`),
      }),
      'light',
    );
    ref.tell({ type: 'STOP' });
    ref.tell({ type: 'GO' });
    await kit.advance(1500);
    expect(await probe.receiveMessages(2)).toEqual(['light: red 1', 'light: red 2']);
  });

  it('runs a delayed raise from an action on the same virtual clock', async () => {
    const pinger = machineSetup({
      types: { events: {} as { type: 'PING' } | { type: 'PONG' } },
    }).createMachine({
      initial: 'idle',
      states: {
        idle: { on: { PING: { target: 'waiting', actions: raise({ type: 'PONG' }, { delay: 250 }) } } },
        waiting: { on: { PONG: 'idle' } },
      },
    });
    const { probe, onSnapshot } = recorder();
    const ref = kit.system.spawn(fromMachine(pinger, { onSnapshot }), 'pinger');
    ref.tell({ type: 'PING' });
    await kit.advance(250);
    expect(probe.received.map((r) => r.message)).toEqual([
      { value: 'idle', at: 0 },
      { value: 'waiting', at: 0 },
      { value: 'idle', at: 250 },
    ]);
  });

  it('picks up transitions from an invoked promise inside a message, including its failure', async () => {
    let settle!: (ok: boolean) => void;
    const loader = machineSetup({
      types: { events: {} as { type: 'LOAD' } },
      actors: {
        load: fromPromise(
          () =>
            new Promise<string>((resolve, reject) => {
              settle = (ok) => (ok ? resolve('data') : reject(new BrokenBulb('load failed')));
            }),
        ),
      },
    }).createMachine({
      initial: 'idle',
      states: {
        idle: { on: { LOAD: 'loading' } },
        loading: { invoke: { src: 'load', onDone: 'loaded' } },
        loaded: { on: { LOAD: 'loading' } },
      },
    });
    const { probe, onSnapshot } = recorder();
    const ref = kit.system.spawn(fromMachine(loader, { onSnapshot }), 'loader');
    ref.tell({ type: 'LOAD' });
    await kit.runUntilIdle();
    settle(true);
    await kit.runUntilIdle();
    expect(probe.received.map((r) => r.message.value)).toEqual(['idle', 'loading', 'loaded']);

    ref.tell({ type: 'LOAD' });
    await kit.runUntilIdle();
    settle(false); // no onError: xstate's snapshot goes to 'error'
    await kit.runUntilIdle();
    expect(kit.eventsOf('supervision')).toEqual([
      expect.objectContaining({
        child: expect.objectContaining({ path: ref.path }),
        directive: 'restart',
        error: expect.any(BrokenBulb),
      }),
    ]);
  });

  it('fails to start, with ActorInitializationError, when the initial state throws', async () => {
    const probe = kit.createProbe<never>();
    const broken = createMachine({
      initial: 'a',
      states: {
        a: {
          entry: () => {
            throw new BrokenBulb('no');
          },
        },
      },
    });
    const ref = kit.system.spawn(fromMachine(broken), 'broken');
    probe.watch(ref);
    await probe.expectTerminated(ref);
    expect(kit.eventsOf('supervision')[0].error).toBeInstanceOf(ActorInitializationError);
  });

  it('rejects something that is not a machine with InvalidArgumentError', () => {
    expect(() => fromMachine({} as never)).toThrow(InvalidArgumentError);
    try {
      fromMachine(42 as never);
    } catch (e) {
      expect((e as InvalidArgumentError).code).toBe('ACTOR_ERR_INVALID_ARGUMENT');
    }
  });

  it('fails to start when the factory returns something that is not a machine', async () => {
    const probe = kit.createProbe<never>();
    const ref = kit.system.spawn(fromMachine((() => ({})) as never), 'bad');
    probe.watch(ref);
    await probe.expectTerminated(ref);
    const { error } = kit.eventsOf('supervision')[0] as { error: ActorInitializationError };
    expect(error).toBeInstanceOf(ActorInitializationError);
  });
});
