import {
  type ActorSystem,
  type ActorSystemOptions,
  createActorSystem,
  createSeededRandom,
  SimulatedClock,
  type SystemEvent,
} from '../src';

/**
 * A system on virtual time with a manual executor: dispatcher turns run only inside `settle()` and
 * `advance()`, so a test decides exactly when actors run and never sleeps.
 */
export interface TestSystem {
  system: ActorSystem;
  clock: SimulatedClock;
  /** Every event published, in order. */
  events: SystemEvent[];
  /** Runs dispatcher turns and settles promises until nothing is left to do (timers do not fire). */
  settle(): Promise<void>;
  /** Moves virtual time forward by `ms`, settling after every timer that fires. */
  advance(ms: number): Promise<void>;
  /** Events of one type. */
  eventsOf<T extends SystemEvent['type']>(type: T): Extract<SystemEvent, { type: T }>[];
  /** Dispatcher turns run so far. */
  turns(): number;
}

const systems: ActorSystem[] = [];

/** Lets promise callbacks (async handlers, asks) run: setImmediate comes after every queued microtask. */
export const flushPromises = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function testSystem(options: Partial<ActorSystemOptions> = {}): TestSystem {
  const clock = new SimulatedClock();
  const pending: (() => void)[] = [];
  const system = createActorSystem({
    name: 'test',
    clock,
    random: createSeededRandom(1),
    logLevel: 'off',
    executor: (turn) => pending.push(turn),
    ...options,
  });
  systems.push(system);
  const events: SystemEvent[] = [];
  system.events.subscribe('*', (e) => events.push(e));
  let turns = 0;

  const settle = async (): Promise<void> => {
    for (let i = 0; i < 100_000; i++) {
      const turn = pending.shift();
      if (turn) {
        turns++;
        turn();
        continue;
      }
      await flushPromises();
      if (pending.length === 0) return;
    }
    throw new Error('settle: the system never went idle');
  };

  const advance = async (ms: number): Promise<void> => {
    const target = clock.now() + ms;
    await settle();
    for (;;) {
      const next = clock.nextTimerAt();
      if (next === undefined || next > target) break;
      clock.advanceTo(next);
      await settle();
    }
    clock.advanceTo(target);
    await settle();
  };

  return {
    system,
    clock,
    events,
    settle,
    advance,
    eventsOf: (type) => events.filter((e) => e.type === type) as never,
    turns: () => turns,
  };
}

afterEach(async () => {
  // No system outlives its test; terminate is idempotent.
  const all = systems.splice(0);
  for (const s of all) {
    void s.terminate();
  }
});
