import {
  type ActorSystem,
  type Clock,
  type LogEvent,
  type LogLevel,
  type RandomSource,
  SimulatedClock,
  type TimerHandle,
} from '@troupe/core';
import { createNode, type RemoteEvent, type RemoteNode, type Serialization } from '@troupe/remote';
import { MemoryNetwork, type NetworkStats } from '@troupe/transport-memory';
import {
  describeAction,
  type NemesisAction,
  type NemesisSchedule,
  randomNemesis,
  type RandomNemesisOptions,
} from './nemesis';
import { NodeClock } from './NodeClock';
import { incarnationFor, randomInt, shuffled, streamFor } from './seeds';
import { Lane, SimScheduler, type StepOwner } from './SimScheduler';
import {
  FAILURE_TAIL,
  PropertyViolation,
  SimulationFailure,
  SimulationUsageError,
} from './SimulationFailure';
import { Trace, type TraceRecord } from './Trace';
import { TracingTransport } from './TracingTransport';

/** Remoting settings of every node (the rest of `RemotingOptions` is the simulation's business). */
export interface SimRemotingOptions {
  heartbeatIntervalMs?: number;
  unreachableAfterMs?: number;
  reconnect?: { minMs?: number; maxMs?: number; randomFactor?: number };
  maxPendingPerPeer?: number;
}

/** Options of {@link simulate}. */
export interface SimulationOptions {
  /** Everything random in the run derives from it: same seed, same run. */
  seed: number;
  /** How many nodes: named `node-1` … `node-N`, which are also their transport addresses. */
  nodes: number;
  /**
   * The application, as in production: spawns its actors on `node.system`. Runs at every start of a node,
   * restarts included. May be async; the simulation runs meanwhile.
   */
  setup: (node: SimNode) => void | Promise<void>;
  /** The application's message registry; called once per start of a node, as each process would build its own. */
  serialization: () => Serialization;
  /**
   * What goes wrong: a schedule written by hand, `'random'` (drawn from the seed: see {@link randomNemesis}; it
   * stops at 70% of `durationMs` and leaves the rest quiet), `{ random: options }` to tune it, or `'none'`
   * (default).
   */
  nemesis?: NemesisSchedule | 'random' | 'none' | { random: RandomNemesisOptions };
  /** Length of the run in virtual ms: `sim.run()` with no argument runs until then. Default 10 000. */
  durationMs?: number;
  /** Largest clock skew of a node, either way; each node's is drawn from the seed. Default 0. */
  skewMs?: number;
  /** Latency of every message when no fault says otherwise, uniform in `[minMs, maxMs]`. Default 1-5 ms. */
  latency?: { minMs: number; maxMs: number };
  /** Remoting timings of every node. Default: remoting's own (heartbeat 1 s, unreachable after 5 s). */
  remoting?: SimRemotingOptions;
  /** How long a crashed node stays down when the crash does not say. Default 200-3000 ms. */
  restartAfterMs?: { minMs: number; maxMs: number };
  /** Name in the scenario registry, for the replay command in failures. */
  name?: string;
  /** The actor system name every node shares. Default `sim`. */
  systemName?: string;
  /** Lowest level of the systems' log written to the trace. Default `warn`. */
  logLevel?: LogLevel | 'off';
  /** Most steps at one virtual instant before the run fails as a livelock. Default 500 000. */
  maxStepsPerInstant?: number;
  /** Trace records kept in memory (the hash covers all of them). Default 100 000. */
  traceLimit?: number;
  /** Virtual ms an initial async `setup` may take. Default 10 000. */
  setupTimeoutMs?: number;
}

/** One start (incarnation) of one node. A restart makes a new `SimNode`; this one stays dead. */
export interface SimNode {
  /** `node-1` …; also its transport address. */
  readonly name: string;
  /** `troupe://<system>@<name>`: prefix of every actor address on the node. */
  readonly address: string;
  readonly incarnation: string;
  /** 0 for the first start, 1 after the first restart, … */
  readonly generation: number;
  readonly system: ActorSystem;
  readonly node: RemoteNode;
  /** The node's own view of time: the shared clock plus its skew. */
  readonly clock: Clock;
  /** False once this incarnation has crashed. */
  readonly alive: boolean;
  /** Shared virtual time it finished starting (before its `setup` ran). */
  readonly startedAt: number;
  /** Shared virtual time it crashed, if it has. */
  readonly crashedAt: number | undefined;
}

/** Counters of a run so far. */
export interface SimulationStats {
  /** Steps run (dispatcher turns, network steps, timer firings, nemesis actions). */
  readonly steps: number;
  readonly virtualMs: number;
  readonly traceRecords: number;
  readonly network: NetworkStats;
}

/**
 * A running simulation, handed to the scenario. Nothing happens between the scenario's statements: the cluster
 * runs only inside `run`, `runUntil` and `waitFor`.
 */
export interface Simulation {
  readonly seed: number;
  readonly name: string | undefined;
  /** The shared virtual time (no skew). Move it with `run`, not by hand. */
  readonly clock: SimulatedClock;
  /** A seeded stream for the scenario's own choices, apart from every other stream of the run. */
  readonly random: RandomSource;
  /** The network, for faults the nemesis actions do not cover. */
  readonly network: MemoryNetwork;
  /** The latest start of every node, in name order. */
  readonly nodes: ReadonlyArray<SimNode>;
  /** Every start of every node so far, in the order they started: what an oracle needs to judge a history. */
  readonly incarnations: ReadonlyArray<SimNode>;
  readonly durationMs: number;
  /** The kept trace records, oldest first. */
  readonly trace: ReadonlyArray<TraceRecord>;
  /** The latest start of the node named `name`; throws `SimulationUsageError` for an unknown name. */
  node(name: string): SimNode;
  /** Runs the cluster for `ms` of virtual time (default: until `durationMs`). */
  run(ms?: number): Promise<void>;
  /** Runs until `predicate()` holds (true) or `maxMs` of virtual time have passed (false). */
  runUntil(predicate: () => boolean, maxMs: number): Promise<boolean>;
  /**
   * Runs until `promise` settles and returns its value (or throws its error). Fails with a `PropertyViolation`
   * if it has not settled within `maxMs` (default 60 000) of virtual time.
   */
  waitFor<T>(promise: PromiseLike<T>, maxMs?: number): Promise<T>;
  /** Applies a nemesis action now. */
  apply(action: NemesisAction): void;
  /** Adds a record to the trace. */
  record(kind: string, detail?: unknown): void;
  /** Throws a `PropertyViolation` (which fails the run) unless `condition` holds. */
  check(condition: unknown, message: string, details?: unknown): void;
  /** sha256 (hex) of the trace so far: equal for two runs with the same seed. */
  traceHash(): string;
  stats(): SimulationStats;
}

const DEFAULT_DURATION_MS = 10_000;
const DEFAULT_LATENCY = { minMs: 1, maxMs: 5 };
const DEFAULT_RESTART = { minMs: 200, maxMs: 3000 };
const LEVELS: Record<LogLevel | 'off', number> = { debug: 10, info: 20, warn: 30, error: 40, off: 100 };

/**
 * Runs `scenario` against a cluster of `nodes` actor systems in one process, on virtual time, with every
 * asynchronous step (dispatcher turns, network steps, timers, nemesis actions) chosen by one seeded scheduler:
 * the same seed gives the same run, step for step, and the same trace hash. Resolves with what the scenario
 * returns; rejects with a {@link SimulationFailure} (seed, replay command, last trace records) when anything
 * fails, or a {@link SimulationUsageError} when the simulation was misused.
 *
 * @example
 * ```ts
 * const hash = await simulate(
 *   {
 *     name: 'echo',
 *     seed: 42,
 *     nodes: 3,
 *     serialization: () => new Serialization().register(messageType<Echo>('echo', (m) => isActorRef(m.replyTo))),
 *     setup: (node) => void node.system.spawn(echoBehavior, 'echo'),
 *     nemesis: 'random',
 *   },
 *   async (sim) => {
 *     const from = sim.node('node-1').node.refFor<Echo>('troupe://sim@node-2/user/echo');
 *     const reply = await sim.waitFor(ask(from, (replyTo) => ({ type: 'echo', replyTo }), { timeoutMs: 1000 }));
 *     sim.check(reply.type === 'echoed', 'echo answered');
 *     await sim.run();
 *     return sim.traceHash();
 *   },
 * );
 * ```
 */
export async function simulate<T>(
  options: SimulationOptions,
  scenario: (sim: Simulation) => T | Promise<T>,
): Promise<T> {
  checkOptions(options);
  if (typeof scenario !== 'function') throw new SimulationUsageError('simulate needs a scenario function');
  const sim = new SimulationImpl(options);
  try {
    await sim.boot();
    const result = await scenario(sim);
    sim.throwIfFailed();
    return result;
  } catch (error) {
    throw sim.failure(error);
  } finally {
    sim.finish();
  }
}

/** Everything about one node name across its starts. */
class Slot {
  generation = -1;
  skew = 0;
  /** The runtime of the latest start, which may be dead (crashed, or crashing while it started). */
  runtime: NodeRuntime | undefined;
  /** The latest start that finished starting. */
  current: SimNodeImpl | undefined;
  restartTimer: TimerHandle | undefined;

  constructor(readonly name: string) {}

  get up(): boolean {
    return this.runtime !== undefined && !this.runtime.dead;
  }
}

/** One start of one node, as the scheduler sees it: its steps stop running when it dies. */
class NodeRuntime implements StepOwner {
  dead = false;
  readonly timerLane = new Lane();
  clock!: NodeClock;
  /** Once it has finished starting. */
  node: SimNodeImpl | undefined;
  constructor(readonly generation: number) {}
}

class SimNodeImpl implements SimNode {
  crashedAt: number | undefined = undefined;
  constructor(
    readonly name: string,
    readonly address: string,
    readonly incarnation: string,
    readonly generation: number,
    readonly system: ActorSystem,
    readonly node: RemoteNode,
    readonly clock: Clock,
    readonly startedAt: number,
    private readonly runtime: NodeRuntime,
  ) {}

  get alive(): boolean {
    return !this.runtime.dead;
  }
}

class SimulationImpl implements Simulation {
  readonly seed: number;
  readonly name: string | undefined;
  readonly clock = new SimulatedClock(0);
  readonly random: RandomSource;
  readonly network: MemoryNetwork;
  readonly durationMs: number;
  private readonly scheduler: SimScheduler;
  private readonly traceLog: Trace;
  private readonly slots: Slot[] = [];
  private readonly started: SimNodeImpl[] = [];
  private readonly byName = new Map<string, Slot>();
  private readonly nemesisLane = new Lane();
  private readonly nemesisRandom: RandomSource;
  private readonly latency: { minMs: number; maxMs: number };
  private readonly systemName: string;
  private readonly minLogLevel: number;
  /** Drops the trace already tells of; the rest happened in flight and are reported after the step. */
  private tracedDrops = 0;
  private finished = false;

  constructor(private readonly options: SimulationOptions) {
    this.seed = options.seed;
    this.name = options.name;
    this.durationMs = options.durationMs ?? DEFAULT_DURATION_MS;
    this.latency = options.latency ?? DEFAULT_LATENCY;
    this.systemName = options.systemName ?? 'sim';
    this.minLogLevel = LEVELS[options.logLevel ?? 'warn'] ?? LEVELS.warn;
    this.random = streamFor(this.seed, 'scenario');
    this.nemesisRandom = streamFor(this.seed, 'nemesis-targets');
    this.traceLog = new Trace(this.clock, options.traceLimit ?? 100_000);
    this.scheduler = new SimScheduler(this.clock, streamFor(this.seed, 'scheduler'), {
      maxStepsPerInstant: options.maxStepsPerInstant ?? 500_000,
      onFault: (error, context) => this.fault(error, context),
    });
    this.network = new MemoryNetwork({
      random: streamFor(this.seed, 'network'),
      scheduler: {
        schedule: (delayMs, run) => {
          const step = (): void => {
            run();
            this.traceInFlightDrops();
          };
          if (delayMs > 0) this.scheduler.postAfter(delayMs, step);
          else this.scheduler.post(step);
        },
      },
    });
    this.network.setFaults({ delay: this.latency });
    const skewRandom = streamFor(this.seed, 'skew');
    const skewMs = options.skewMs ?? 0;
    for (let i = 0; i < options.nodes; i++) {
      const slot = new Slot(`node-${i + 1}`);
      slot.skew = skewMs > 0 ? Math.round((skewRandom.next() * 2 - 1) * skewMs) : 0;
      this.slots.push(slot);
      this.byName.set(slot.name, slot);
    }
  }

  // ---------------------------------------------------------------- lifecycle

  async boot(): Promise<void> {
    this.record(
      'sim-start',
      `seed ${this.seed}, ${this.slots.length} nodes, skews ${this.slots.map((s) => s.skew).join(',')}`,
    );
    this.installNemesis();
    // Every node listens before any setup runs, as when a cluster is started and then the application deployed.
    const started: SimNodeImpl[] = [];
    for (const slot of this.slots) {
      const node = await this.bootNode(slot);
      if (node) started.push(node);
    }
    for (const node of started) {
      if (!node.alive) continue;
      const result = this.runSetup(node);
      if (result) await this.waitFor(result, this.options.setupTimeoutMs ?? 10_000);
    }
    this.throwIfFailed();
  }

  /** Called once the scenario is done, either way: nothing may run any more, and everything is let go. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const slot of this.slots) {
      if (slot.runtime && !slot.runtime.dead) {
        slot.runtime.dead = true;
        slot.runtime.clock.kill();
      }
    }
    this.scheduler.close();
    this.network.shutdown();
  }

  throwIfFailed(): void {
    const failed = this.scheduler.failed;
    if (failed) throw failed.error;
  }

  /** The error `simulate` rejects with: the step's failure first (the root cause), else the scenario's. */
  failure(error: unknown): unknown {
    if (error instanceof SimulationFailure || error instanceof SimulationUsageError) return error;
    const cause = this.scheduler.failed?.error ?? error;
    if (cause instanceof SimulationUsageError) return cause;
    this.record('failure', describeError(cause));
    return new SimulationFailure(
      this.seed,
      this.name,
      this.clock.now(),
      this.traceLog.last(FAILURE_TAIL),
      this.traceLog.digest(),
      cause,
    );
  }

  // ---------------------------------------------------------------- the scenario's API

  get nodes(): ReadonlyArray<SimNode> {
    return this.slots.flatMap((s) => (s.current ? [s.current] : []));
  }

  get incarnations(): ReadonlyArray<SimNode> {
    return this.started;
  }

  get trace(): ReadonlyArray<TraceRecord> {
    return this.traceLog.kept;
  }

  node(name: string): SimNode {
    const node = this.byName.get(name)?.current;
    if (!node) {
      throw new SimulationUsageError(
        `no node named ${JSON.stringify(name)}; nodes are ${this.slots.map((s) => s.name).join(', ')}`,
      );
    }
    return node;
  }

  async run(ms?: number): Promise<void> {
    const span = ms ?? Math.max(0, this.durationMs - this.clock.now());
    checkSpan(span, 'run');
    await this.drive(() => false, this.clock.now() + span);
  }

  runUntil(predicate: () => boolean, maxMs: number): Promise<boolean> {
    checkSpan(maxMs, 'runUntil');
    if (typeof predicate !== 'function')
      throw new SimulationUsageError('runUntil needs a predicate function');
    return this.drive(predicate, this.clock.now() + maxMs);
  }

  async waitFor<T>(promise: PromiseLike<T>, maxMs = 60_000): Promise<T> {
    checkSpan(maxMs, 'waitFor');
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    Promise.resolve(promise).then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    const from = this.clock.now();
    await this.drive(() => outcome !== undefined, from + maxMs);
    if (!outcome)
      throw new PropertyViolation(`waitFor: the promise did not settle within ${maxMs} virtual ms`);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  apply(action: NemesisAction): void {
    this.checkOpen();
    this.applyNemesis(action);
  }

  record(kind: string, detail: unknown = ''): void {
    this.traceLog.record(kind, detail);
  }

  check(condition: unknown, message: string, details?: unknown): void {
    if (condition) return;
    this.record('violation', message);
    throw new PropertyViolation(message, details);
  }

  traceHash(): string {
    return this.traceLog.digest();
  }

  stats(): SimulationStats {
    return {
      steps: this.scheduler.steps,
      virtualMs: this.clock.now(),
      traceRecords: this.traceLog.count,
      network: this.network.stats(),
    };
  }

  private async drive(done: () => boolean, deadline: number): Promise<boolean> {
    this.checkOpen();
    if (this.scheduler.isRunning) {
      throw new SimulationUsageError(
        'the simulation is already running: await each run/runUntil/waitFor before starting another',
      );
    }
    return this.scheduler.runUntil(done, deadline);
  }

  private checkOpen(): void {
    if (this.finished) throw new SimulationUsageError('the simulation is over: its scenario has returned');
  }

  // ---------------------------------------------------------------- nodes

  /** Starts the next incarnation of a node; resolves with it, or undefined if it crashed while starting. */
  private async bootNode(slot: Slot): Promise<SimNodeImpl | undefined> {
    const generation = ++slot.generation;
    const runtime = new NodeRuntime(generation);
    slot.runtime = runtime;
    runtime.clock = new NodeClock(this.clock, this.scheduler, runtime, runtime.timerLane, () => slot.skew);
    const name = slot.name;
    const incarnation = incarnationFor(this.seed, name, generation);
    const transport = new TracingTransport(this.network.transport({ address: name }), name, {
      counters: () => this.network.stats(),
      sent: (from, to, bytes, result, dropped, duplicated) => {
        if (result !== 'ok') this.record('send-refused', `${from}>${to} ${bytes.byteLength}B ${result}`);
        if (dropped) {
          this.tracedDrops++;
          this.traceLog.record('drop', `${from}>${to} ${bytes.byteLength}B`, bytes);
        }
        if (duplicated) this.traceLog.record('duplicate', `${from}>${to} ${bytes.byteLength}B`, bytes);
      },
      delivered: (from, to, bytes) =>
        this.traceLog.record('deliver', `${from}>${to} ${bytes.byteLength}B`, bytes),
      fault: (error, context) => this.fault(error, context),
    });
    const logAt = this.minLogLevel;
    let node: RemoteNode;
    try {
      node = await createNode({
        ...this.options.remoting,
        name: this.systemName,
        transport,
        serialization: this.options.serialization(),
        incarnation,
        clock: runtime.clock,
        random: streamFor(this.seed, `node:${name}:${generation}`),
        executor: (turn) => this.scheduler.post(turn, runtime),
        logLevel: this.options.logLevel ?? 'warn',
        logSink: (event: LogEvent) => {
          if (LEVELS[event.level] >= logAt && !runtime.dead) this.record('log', describeLog(name, event));
        },
      });
    } catch (error) {
      if (runtime.dead) return undefined;
      throw error;
    }
    if (runtime.dead) return undefined;
    const simNode = new SimNodeImpl(
      name,
      node.address,
      incarnation,
      generation,
      node.system,
      node,
      runtime.clock,
      this.clock.now(),
      runtime,
    );
    slot.current = simNode;
    runtime.node = simNode;
    this.started.push(simNode);
    node.onEvent((event) => {
      if (!runtime.dead) this.record('remote', describeRemoteEvent(name, event));
    });
    this.record(generation === 0 ? 'node-start' : 'node-restart', `${name} ${incarnation}`);
    return simNode;
  }

  /** Runs the application's setup; returns a promise only when the setup is async. */
  private runSetup(node: SimNodeImpl): Promise<void> | undefined {
    const fail = (error: unknown): never => {
      throw new SetupFailed(node, error);
    };
    let result: void | Promise<void>;
    try {
      result = this.options.setup(node);
    } catch (error) {
      return fail(error);
    }
    return result && typeof (result as Promise<void>).then === 'function'
      ? Promise.resolve(result).catch(fail)
      : undefined;
  }

  private crash(slot: Slot, restartAfterMs: number | null | undefined): void {
    const runtime = slot.runtime;
    if (!runtime || runtime.dead) {
      this.record('nemesis', `crash ${slot.name}: already down`);
      return;
    }
    runtime.dead = true;
    runtime.clock.kill();
    if (runtime.node) runtime.node.crashedAt = this.clock.now();
    this.network.crash(slot.name);
    this.traceInFlightDrops();
    this.record('node-crash', `${slot.name} ${runtime.node?.incarnation ?? '(still starting)'}`);
    if (restartAfterMs === null) return;
    const delay =
      restartAfterMs ??
      randomInt(
        this.nemesisRandom,
        (this.options.restartAfterMs ?? DEFAULT_RESTART).minMs,
        (this.options.restartAfterMs ?? DEFAULT_RESTART).maxMs,
      );
    slot.restartTimer = this.scheduler.postAfter(
      delay,
      () => this.restart(slot, runtime),
      null,
      this.nemesisLane,
    );
  }

  /** Starts `slot` again if it is down (and, for a scheduled restart, still down from the same crash). */
  private restart(slot: Slot, after?: NodeRuntime): void {
    if (slot.up || (after !== undefined && slot.runtime !== after)) return;
    if (slot.restartTimer !== undefined) {
      this.clock.clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
    }
    void this.bootNode(slot)
      .then((node) => {
        if (node) return this.runSetup(node);
      })
      .catch((error: unknown) => this.fault(error, `restart of ${slot.name}`));
  }

  // ---------------------------------------------------------------- nemesis

  private installNemesis(): void {
    const nemesis = this.options.nemesis ?? 'none';
    if (nemesis === 'none') return;
    const names = this.slots.map((s) => s.name);
    const schedule: NemesisSchedule =
      nemesis === 'random' || !Array.isArray(nemesis)
        ? randomNemesis(streamFor(this.seed, 'nemesis-plan'), names, {
            endMs: Math.round(this.durationMs * 0.7),
            skewMs: this.options.skewMs || undefined,
            restartAfterMs: this.options.restartAfterMs,
            ...(nemesis === 'random' ? {} : (nemesis as { random: RandomNemesisOptions }).random),
          })
        : nemesis;
    for (const { at, action } of schedule) {
      if (!(at >= 0) || !Number.isFinite(at)) {
        throw new SimulationUsageError(`a nemesis event needs a finite time >= 0, got ${String(at)}`);
      }
      this.scheduler.postAfter(
        at - this.clock.now(),
        () => this.applyNemesis(action),
        null,
        this.nemesisLane,
      );
    }
  }

  private applyNemesis(action: NemesisAction): void {
    const names = this.slots.map((s) => s.name);
    const random = this.nemesisRandom;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random.next() * items.length)];
    const net = this.network;
    switch (action.type) {
      case 'partition': {
        let sides = action.sides;
        if (!sides) {
          const order = shuffled(random, names);
          const cut = Math.max(1, Math.floor(order.length / 2));
          sides = [order.slice(0, cut), order.slice(cut)];
        }
        sides[0].concat(sides[1]).forEach((n) => this.slotOf(n));
        net.heal();
        net.partition(sides[0], sides[1]);
        this.record('nemesis', describeAction({ type: 'partition', sides }));
        break;
      }
      case 'isolate': {
        const node = action.node ?? pick(names);
        this.slotOf(node);
        net.heal();
        net.isolate(node);
        this.record('nemesis', `isolate ${node}`);
        break;
      }
      case 'bridge': {
        const node = action.node ?? pick(names);
        this.slotOf(node);
        const rest = shuffled(
          random,
          names.filter((n) => n !== node),
        );
        const cut = Math.max(1, Math.floor(rest.length / 2));
        net.heal();
        if (rest.length >= 2) net.partition(rest.slice(0, cut), rest.slice(cut));
        this.record(
          'nemesis',
          `bridge via ${node}: [${rest.slice(0, cut).join(',')}] | [${rest.slice(cut).join(',')}]`,
        );
        break;
      }
      case 'heal':
        net.heal();
        this.record('nemesis', 'heal');
        break;
      case 'faults': {
        const { dropRate, duplicateRate, reorderRate, delay } = action;
        net.setFaults({ dropRate, duplicateRate, reorderRate, delay: delay ?? this.latency });
        this.record('nemesis', describeAction(action));
        break;
      }
      case 'clear-faults':
        net.setFaults({ delay: this.latency });
        this.record('nemesis', 'clear-faults');
        break;
      case 'crash': {
        const up = this.slots.filter((s) => s.up);
        const slot =
          action.node !== undefined ? this.slotOf(action.node) : up.length > 0 ? pick(up) : undefined;
        this.record('nemesis', describeAction({ ...action, node: slot?.name ?? '(none up)' }));
        if (slot) this.crash(slot, action.restartAfterMs);
        break;
      }
      case 'restart': {
        const down = this.slots.filter((s) => !s.up);
        const slot =
          action.node !== undefined ? this.slotOf(action.node) : down.length > 0 ? pick(down) : undefined;
        if (!slot || slot.up) break;
        this.record('nemesis', `restart ${slot.name}`);
        this.restart(slot);
        break;
      }
      case 'skew': {
        const slot = action.node !== undefined ? this.slotOf(action.node) : pick(this.slots);
        const max = this.options.skewMs || 500;
        slot.skew = action.offsetMs ?? Math.round((random.next() * 2 - 1) * max);
        this.record('nemesis', `skew ${slot.name} ${slot.skew} ms`);
        break;
      }
      default:
        throw new SimulationUsageError(`unknown nemesis action ${JSON.stringify(action)}`);
    }
  }

  private slotOf(name: string): Slot {
    const slot = this.byName.get(name);
    if (!slot) {
      throw new SimulationUsageError(
        `no node named ${JSON.stringify(name)}; nodes are ${this.slots.map((s) => s.name).join(', ')}`,
      );
    }
    return slot;
  }

  // ---------------------------------------------------------------- trace

  private traceInFlightDrops(): void {
    const dropped = this.network.stats().dropped;
    if (dropped > this.tracedDrops) {
      this.record('drop', `${dropped - this.tracedDrops} in flight`);
      this.tracedDrops = dropped;
    }
  }

  private fault(error: unknown, context: string): void {
    this.record('fault', `${context}: ${describeError(error)}`);
    this.scheduler.fail(error);
  }
}

/** The application's `setup` threw (or rejected) on a node. */
class SetupFailed extends Error {
  constructor(node: SimNode, cause: unknown) {
    super(`setup of ${node.name} (incarnation ${node.incarnation}) failed: ${describeError(cause)}`, {
      cause,
    });
    this.name = 'SetupFailed';
  }
}

function checkOptions(options: SimulationOptions): void {
  const bad = (message: string): never => {
    throw new SimulationUsageError(message);
  };
  if (!options || typeof options !== 'object') bad('simulate needs options');
  if (!Number.isSafeInteger(options.seed)) bad(`seed must be a safe integer, got ${String(options.seed)}`);
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > 1000) {
    bad(`nodes must be an integer in [1, 1000], got ${String(options.nodes)}`);
  }
  if (typeof options.setup !== 'function') bad('setup must be a function');
  if (typeof options.serialization !== 'function')
    bad('serialization must be a function returning a Serialization');
  if (options.durationMs !== undefined && !(options.durationMs >= 0 && Number.isFinite(options.durationMs))) {
    bad(`durationMs must be a finite number >= 0, got ${String(options.durationMs)}`);
  }
  if (options.skewMs !== undefined && !(options.skewMs >= 0 && Number.isFinite(options.skewMs))) {
    bad(`skewMs must be a finite number >= 0, got ${String(options.skewMs)}`);
  }
  const { latency } = options;
  if (latency && !(latency.minMs >= 0 && latency.maxMs >= latency.minMs && Number.isFinite(latency.maxMs))) {
    bad('latency needs 0 <= minMs <= maxMs');
  }
}

function checkSpan(ms: number, what: string): void {
  if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms)) {
    throw new SimulationUsageError(`${what} needs a finite number of virtual ms >= 0, got ${String(ms)}`);
  }
}

function describeRemoteEvent(node: string, event: RemoteEvent): string {
  switch (event.type) {
    case 'peer-connected':
      return `${node}: peer-connected ${event.peer} ${event.incarnation}`;
    case 'peer-disconnected':
      return `${node}: peer-disconnected ${event.peer} ${event.code} ${event.reason}`;
    case 'connect-failed':
      return `${node}: connect-failed ${event.peer} ${describeError(event.error)}`;
    case 'peer-unreachable':
      return `${node}: peer-unreachable ${event.peer} ${event.incarnation ?? '(never connected)'}`;
    case 'peer-restarted':
      return `${node}: peer-restarted ${event.peer} ${event.previous} -> ${event.incarnation}`;
    case 'refused-message':
      return `${node}: refused-message ${event.peer ?? ''} ${event.error.code}: ${event.error.message}`;
    case 'transport': {
      const e = event.event;
      return `${node}: transport ${e.type} ${e.peer ?? ''} ${e.code ?? ''} ${e.detail ?? ''}`.trimEnd();
    }
  }
}

function describeLog(node: string, event: LogEvent): string {
  const data = event.data === undefined ? '' : ` (${describeError(event.data)})`;
  return `${node} ${event.level} ${event.source}: ${event.message}${data}`;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`;
  }
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
