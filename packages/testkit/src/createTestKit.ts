import {
  type ActorSystem,
  type ActorSystemOptions,
  createActorSystem,
  createSeededRandom,
  type EventOf,
  SimulatedClock,
  type SystemEvent,
  type SystemEventType,
} from '@troupe/core';
import { TestKitUsageError } from './TestKitError';
import { TestProbe } from './TestProbe';
import { VirtualTimeDriver } from './internal/VirtualTimeDriver';

/** Options for {@link createTestKit}; everything but `clock` and `executor` goes to `createActorSystem`. */
export interface TestKitOptions extends Partial<Omit<ActorSystemOptions, 'clock' | 'executor'>> {
  /** Seeds the system's random source (backoff jitter and anything else drawing from it). Default 1. Unused when `random` is given. */
  seed?: number;
  /** Virtual time the clock starts at. Default 0. */
  startAt?: number;
  /** How long (virtual ms) a probe expectation waits when not told. Default 3000. */
  defaultTimeoutMs?: number;
  /** Most dispatcher turns in one `runUntilIdle` before it gives up with `NotIdleError`. Default 100 000. */
  maxTurnsPerRun?: number;
  /** Most messages handled in one `runUntilIdle` before it gives up with `NotIdleError`. Default 1 000 000. */
  maxMessagesPerRun?: number;
}

/**
 * An actor system on virtual time. Its dispatcher runs only inside `runUntilIdle`, `advance` and the probes'
 * expectations, and its clock moves only when they move it, so timers, backoff and ask timeouts happen at exact
 * virtual instants with no real waiting. Every function is bound: destructuring is fine.
 */
export interface TestKit {
  readonly system: ActorSystem;
  readonly clock: SimulatedClock;
  /** Every event the system has published, in order. */
  readonly events: ReadonlyArray<SystemEvent>;
  /** The events of one type. */
  eventsOf<T extends SystemEventType>(type: T): EventOf<T>[];
  /** Runs dispatcher turns and lets promises settle until nothing is runnable. Fires no timers. */
  runUntilIdle(): Promise<void>;
  /** The same as `runUntilIdle`, under the name core's own test helper uses. */
  settle(): Promise<void>;
  /** Moves virtual time forward by `ms`: each due timer fires at its own instant, and the system settles after each. */
  advance(ms: number): Promise<void>;
  /** A probe: a real actor to send to, with expectations that wait on virtual time. */
  createProbe<M>(name?: string): TestProbe<M>;
  /** Terminates the system and runs until it has. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * Creates a {@link TestKit}: an actor system on a `SimulatedClock` with a manual executor, a seeded random
 * source and logging off (unless told otherwise).
 *
 * @example
 * ```ts
 * const kit = createTestKit();
 * const probe = kit.createProbe<'tick'>();
 * kit.system.spawn(setup<'tick'>((ctx) => {
 *   ctx.timers.startTimerAtFixedRate('tick', 'tick', 1000);
 *   return receiveMessage((m) => probe.ref.tell(m));
 * }));
 * await kit.advance(10_000); // ten ticks, in microseconds of real time
 * expect(await probe.receiveMessages(10, 0)).toHaveLength(10);
 * await kit.shutdown();
 * ```
 */
export function createTestKit(options: TestKitOptions = {}): TestKit {
  const {
    seed = 1,
    startAt = 0,
    defaultTimeoutMs = 3000,
    maxTurnsPerRun = 100_000,
    maxMessagesPerRun = 1_000_000,
    ...systemOptions
  } = options;
  const clock = new SimulatedClock(startAt);
  const driver = new VirtualTimeDriver(clock, { maxTurns: maxTurnsPerRun, maxMessages: maxMessagesPerRun });
  const system = createActorSystem({
    name: 'test',
    logLevel: 'off',
    ...systemOptions,
    random: systemOptions.random ?? createSeededRandom(seed),
    clock,
    executor: driver.executor,
  });
  driver.countMessagesWith(() => system.stats().messages);
  const events: SystemEvent[] = [];
  system.events.subscribe('*', (e) => events.push(e));
  let probes = 0;
  let shutDown = false;

  const runUntilIdle = (): Promise<void> => driver.exclusive(() => driver.runUntilIdle());
  return {
    system,
    clock,
    events,
    eventsOf: <T extends SystemEventType>(type: T) => events.filter((e) => e.type === type) as EventOf<T>[],
    runUntilIdle,
    settle: runUntilIdle,
    advance: (ms) => driver.exclusive(async () => void (await driver.waitFor(() => false, ms))),
    createProbe<M>(name?: string): TestProbe<M> {
      if (shutDown)
        throw new TestKitUsageError('createProbe after shutdown: this kit has no system any more');
      return new TestProbe<M>(system, driver, name ?? `probe-${++probes}`, defaultTimeoutMs);
    },
    shutdown: () =>
      driver.exclusive(async () => {
        shutDown = true;
        if (system.isTerminated) return;
        void system.terminate();
        await driver.runUntilIdle();
        if (!system.isTerminated) {
          // Stopping needs no timers, so this means an actor is stuck in a way the kit cannot see through.
          throw new TestKitUsageError(`shutdown: system ${system.name} did not terminate once idle`);
        }
      }),
  };
}
