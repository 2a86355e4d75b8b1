// The example from README.md, verbatim: if this file needs a change, so does the README.
import type { ActorRef } from '@troupe/core';
import { useTestKit } from '@troupe/testkit';
import { fromMachine, getSnapshot } from '@troupe/xstate';
import { assign, emit, setup as machineSetup, type Snapshot } from 'xstate';

/** A traffic light: green for 30 s, yellow for 5 s, red until a car has passed, then green again. */
const trafficLight = machineSetup({
  types: {
    events: {} as { type: 'CAR_PASSED' } | { type: 'POWER_OFF' },
    context: {} as { cycles: number },
    emitted: {} as { type: 'turned-red'; cycle: number },
  },
}).createMachine({
  initial: 'green',
  context: { cycles: 0 },
  on: { POWER_OFF: '.off' },
  states: {
    green: { after: { 30_000: 'yellow' } },
    yellow: { after: { 5_000: 'red' } },
    red: {
      entry: [
        assign({ cycles: ({ context }) => context.cycles + 1 }),
        emit(({ context }) => ({ type: 'turned-red' as const, cycle: context.cycles })),
      ],
      on: { CAR_PASSED: 'green' },
    },
    off: { type: 'final' },
  },
});

/** The light as an actor that tells `display` each time it turns red, and keeps its last persisted snapshot. */
const light = (display: ActorRef<string>, store: { saved?: Snapshot<unknown> }) =>
  fromMachine(trafficLight, {
    snapshot: () => store.saved, // every (re)start resumes from the last saved snapshot
    onPersist: (persisted) => (store.saved = persisted),
    onEmit: (event) => display.tell(`red #${event.cycle}`),
  });

describe('traffic light', () => {
  const kit = useTestKit(); // a fresh system on virtual time for each test

  it('changes colour on virtual time', async () => {
    const display = kit().createProbe<string>();
    const ref = kit().system.spawn(light(display.ref, {}), 'light');

    await kit().advance(29_999);
    const snapshot = getSnapshot(ref);
    await kit().runUntilIdle();
    expect((await snapshot).value).toBe('green');

    await kit().advance(5_001); // 30 s green, then 5 s yellow
    await display.expectMessage('red #1', 0);

    ref.tell({ type: 'CAR_PASSED' });
    await kit().advance(35_000);
    await display.expectMessage('red #2', 0);
  });

  it('resumes from its persisted snapshot in a new actor', async () => {
    const display = kit().createProbe<string>();
    const store: { saved?: Snapshot<unknown> } = {};
    const first = kit().system.spawn(light(display.ref, store), 'first');
    await kit().advance(35_000);
    await display.expectMessage('red #1', 0);
    kit().system.stop(first);

    const second = kit().system.spawn(light(display.ref, store), 'second');
    second.tell({ type: 'CAR_PASSED' });
    await kit().advance(35_000);
    await display.expectMessage('red #2', 0);
  });

  it('stops when the machine reaches its final state', async () => {
    const display = kit().createProbe<string>();
    const ref = kit().system.spawn(light(display.ref, {}), 'light');
    display.watch(ref);
    ref.tell({ type: 'POWER_OFF' });
    await display.expectTerminated(ref);
  });
});
