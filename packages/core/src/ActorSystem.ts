import type { Logger, SpawnOptions } from './ActorContext';
import { InvalidArgumentError, StopTimeoutError, SystemTerminatedError } from './ActorError';
import type { ActorRef } from './ActorRef';
import { type Behavior, ignore } from './Behavior';
import { type Clock, systemClock } from './Clock';
import { type DeadLetterReason, EventStream, type LogEvent, type LogLevel } from './EventStream';
import type { ActorTreeNode, InspectionEvent, InspectOptions } from './Inspection';
import { mathRandom, type RandomSource } from './RandomSource';
import { localReceptionist, type ReceptionistCommand } from './Receptionist';
import { SupervisorStrategy } from './SupervisorStrategy';
import { ActorCell, GUARDIAN_FLAG } from './internal/ActorCell';
import { createLogger } from './internal/createLogger';
import { Dispatcher, type Executor } from './internal/Dispatcher';
import { Inspector } from './internal/Inspector';
import { BaseRef } from './internal/BaseRef';
import type { SystemInternals } from './internal/SystemInternals';
import { SysKind, SysMsg } from './internal/SysMsg';

export type { Executor } from './internal/Dispatcher';

/** A failure that reached a guardian, with nobody above to handle it. */
export interface RootFailure {
  /** The top-level (or system) actor whose failure escalated, or whose restarts exceeded the budget. */
  readonly child: ActorRef<never>;
  readonly error: unknown;
  readonly system: ActorSystem;
}

export interface ActorSystemOptions {
  /** Letters, digits, `-` and `_`; part of every actor's address. */
  name: string;
  /** Default: the real clock. Pass a `SimulatedClock` for virtual time. */
  clock?: Clock;
  /** Default: `Math.random`. Pass `createSeededRandom(seed)` to replay jitter. */
  random?: RandomSource;
  /** How a dispatcher turn is scheduled. Default: `setImmediate`, which lets timers and I/O in between turns. */
  executor?: Executor;
  /** Most messages one actor handles before others get a go. Default 64. */
  throughput?: number;
  /** Most messages in one dispatcher turn before yielding to the event loop. Default 4096. */
  maxMessagesPerTurn?: number;
  /** How top-level actors (children of `/user`) are supervised. Default: one-for-one, restart, 10 in 60 s. */
  supervisorStrategy?: SupervisorStrategy;
  /**
   * Called when a failure reaches a guardian: a top-level actor escalated, or `/user`'s restart budget ran
   * out. The failing actor is stopped either way. Default: log it and terminate the system, as Erlang stops an
   * application whose top supervisor gives up.
   */
  onRootFailure?: (failure: RootFailure) => void;
  /** Lowest level written to the log sink. Default `warn`; `off` for none. Every level is still published. */
  logLevel?: LogLevel | 'off';
  /** Where log lines go. Default: standard error. */
  logSink?: (event: LogEvent) => void;
}

/** Counters for dashboards and tests. */
export interface SystemStats {
  /** Dispatcher turns run so far. */
  readonly turns: number;
  /** User messages handled so far. */
  readonly messages: number;
  readonly deadLetters: number;
  readonly liveActors: number;
}

/**
 * A tree of actors sharing a dispatcher, a clock, a random source and an event stream.
 *
 * @example
 * ```ts
 * const system = createActorSystem({ name: 'demo' });
 * const greeter = system.spawn(receiveMessage<string>((name) => console.log(`hello ${name}`)), 'greeter');
 * greeter.tell('Ada');
 * await system.terminate();
 * ```
 */
export interface ActorSystem {
  readonly name: string;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly events: EventStream;
  readonly log: Logger;
  /** The local receptionist: register actors under service keys, find them, subscribe to changes. */
  readonly receptionist: ActorRef<ReceptionistCommand>;
  /** Anything told to it is published as a dead letter (reason `explicit`). */
  readonly deadLetters: ActorRef<unknown>;
  readonly isTerminated: boolean;
  /** Resolves once every actor has stopped. */
  readonly whenTerminated: Promise<void>;

  /** Starts a top-level actor under `/user`. Throws `InvalidActorNameError`, `ActorNameTakenError`, or `SystemTerminatedError`. */
  spawn<M>(behavior: Behavior<M>, options?: SpawnOptions | string): ActorRef<M>;
  /**
   * Starts an actor under `/system`, for extensions (remoting, the cluster) whose actors are not the
   * application's. Same rules as `spawn`.
   */
  systemActorOf<M>(behavior: Behavior<M>, options?: SpawnOptions | string): ActorRef<M>;
  /** Stops any local actor of this system at once (after its children); its queued messages become dead letters. */
  stop(ref: ActorRef<never>): void;
  /**
   * Stops `ref` after the messages already sent to it, and resolves when it has terminated. If it has not
   * within `timeoutMs`, stops it by force and rejects with `StopTimeoutError`, as Erlang's shutdown timeout.
   */
  gracefulStop(ref: ActorRef<never>, timeoutMs: number): Promise<void>;
  /** Resolves when `ref` has terminated (at once if it has). */
  whenStopped(ref: ActorRef<never>): Promise<void>;
  /**
   * The live local actor at `path` (such as `/user/parent/child`), or undefined. Walks named children, so it is
   * meant for addressing by name (remoting, tools), not for a hot path.
   */
  lookup(path: string): ActorRef<unknown> | undefined;
  /** Stops every actor (top-level ones last to first, each after its children) and resolves when done. */
  terminate(): Promise<void>;
  stats(): SystemStats;
  /**
   * Publishes a dead letter and counts it. For extensions (remoting, transports) that find a message
   * undeliverable; application code just tells, and the system does this for it.
   */
  deadLetter(recipient: string, message: unknown, reason: DeadLetterReason): void;
  /**
   * Handles the messages told so far at the end of the current task (a microtask) instead of on the next turn of
   * the event loop. For extensions that deliver messages from an I/O callback (remoting calls it after each
   * message from the network), so that a request is handled and its reply on its way before the process goes
   * back to the event loop. Senders still never run their recipient's behaviour themselves. Does nothing with a
   * custom {@link ActorSystemOptions.executor}, which alone decides when turns run (virtual time keeps its order).
   *
   * @example
   * ```ts
   * socket.on('data', (bytes) => {
   *   target.tell(decode(bytes));
   *   system.dispatchPromptly();
   * });
   * ```
   */
  dispatchPromptly(): void;
  /**
   * Streams what actors do, for dashboards and tests: `spawned`, `stopped`, `failed` and `restarted` (from the
   * event stream) and `received` (each message handed to a behaviour, with its type tag and the mailbox depth
   * behind it, sampled by `options.sample` with the system's random source). Returns the unsubscribe
   * function; with no listener for `received`, the dispatcher pays one null check per message. Supervision
   * decisions and dead letters are on {@link ActorSystem.events}. Throws `InvalidArgumentError` for a sample
   * outside [0, 1] or an unknown kind.
   *
   * @example
   * ```ts
   * const stop = system.inspect((e) => console.log(e.kind, e.path), { sample: 0.01 });
   * stop();
   * ```
   */
  inspect(listener: (event: InspectionEvent) => void, options?: InspectOptions): () => void;
  /**
   * A snapshot of every actor: a root `/` (named after the system) whose children are the `/user` and
   * `/system` guardians, each actor with its status and mailbox depth. Walks the whole tree: for a dashboard's
   * refresh, not for a hot path.
   *
   * @example
   * ```ts
   * const user = system.actorTree().children.find((n) => n.path === '/user');
   * ```
   */
  actorTree(): ActorTreeNode;
}

const SYSTEM_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const LEVELS: Record<LogLevel | 'off', number> = { debug: 10, info: 20, warn: 30, error: 40, off: 100 };

class ActorSystemImpl implements ActorSystem, SystemInternals {
  readonly name: string;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly events = new EventStream();
  readonly dispatcher: Dispatcher;
  readonly defaultStrategy: SupervisorStrategy;
  readonly log: Logger;
  readonly receptionist: ActorRef<ReceptionistCommand>;
  readonly deadLetters: ActorRef<unknown>;
  readonly whenTerminated: Promise<void>;
  private readonly userGuardian: ActorCell;
  private readonly systemGuardian: ActorCell;
  private readonly minLevel: number;
  private readonly logSink: ((event: LogEvent) => void) | undefined;
  private readonly onRootFailure: ((failure: RootFailure) => void) | undefined;
  private resolveTerminated!: () => void;
  private terminating = false;
  private terminated = false;
  private ids = 0;
  private deadLetterCount = 0;
  private live = 0;
  /** Pending asks and other temporary refs, rejected if the system goes away before they complete. */
  readonly temps = new Map<string, BaseRef & { abort(error: unknown): void }>();
  /** Non-null only while someone inspects received messages (see Inspector). */
  inspector: Inspector | null = null;

  constructor(options: ActorSystemOptions) {
    if (typeof options?.name !== 'string' || !SYSTEM_NAME_RE.test(options.name)) {
      throw new InvalidArgumentError(`invalid actor system name ${JSON.stringify(options?.name)}`);
    }
    const throughput = options.throughput ?? 64;
    const perTurn = options.maxMessagesPerTurn ?? 4096;
    if (!(throughput >= 1) || !(perTurn >= 1)) {
      throw new InvalidArgumentError('throughput and maxMessagesPerTurn must be at least 1');
    }
    this.name = options.name;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? mathRandom;
    this.dispatcher = new Dispatcher(options.executor, throughput, perTurn);
    this.defaultStrategy = options.supervisorStrategy ?? SupervisorStrategy.oneForOne();
    this.minLevel = LEVELS[options.logLevel ?? 'warn'] ?? LEVELS.warn;
    this.logSink = options.logSink;
    this.onRootFailure = options.onRootFailure;
    this.log = createLogger(this, `troupe://${this.name}`);
    this.whenTerminated = new Promise((resolve) => (this.resolveTerminated = resolve));
    this.userGuardian = new ActorCell(this, null, 'user', ignore(), GUARDIAN_FLAG);
    this.systemGuardian = new ActorCell(this, null, 'system', ignore(), GUARDIAN_FLAG);
    const deadLetters = new DeadLetterRef(this);
    this.deadLetters = deadLetters;
    this.receptionist = this.systemGuardian.spawnChild(localReceptionist(), 'receptionist', 0);
  }

  get publicSystem(): ActorSystem {
    return this;
  }

  get isTerminated(): boolean {
    return this.terminated;
  }

  spawn<M>(behavior: Behavior<M>, options?: SpawnOptions | string): ActorRef<M> {
    // Refused from the moment terminate() is called: a new top-level actor would only be stopped at once.
    if (this.terminating) throw new SystemTerminatedError(this.name);
    return this.userGuardian.spawnChild(behavior, options, 0);
  }

  systemActorOf<M>(behavior: Behavior<M>, options?: SpawnOptions | string): ActorRef<M> {
    if (this.terminating) throw new SystemTerminatedError(this.name);
    return this.systemGuardian.spawnChild(behavior, options, 0);
  }

  stop(ref: ActorRef<never>): void {
    this.localCell(ref).requestStop(false);
  }

  gracefulStop(ref: ActorRef<never>, timeoutMs: number): Promise<void> {
    const cell = this.localCell(ref);
    if (cell.isTerminated) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = this.clock.setTimeout(() => {
        if (done) return;
        done = true;
        cell.requestStop(false);
        reject(new StopTimeoutError(cell.path, timeoutMs));
      }, timeoutMs);
      void cell.whenTerminated().then(() => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(timer);
        resolve();
      });
      cell.requestStop(true);
    });
  }

  whenStopped(ref: ActorRef<never>): Promise<void> {
    return this.localCell(ref).whenTerminated();
  }

  lookup(path: string): ActorRef<unknown> | undefined {
    if (typeof path !== 'string' || !path.startsWith('/')) return undefined;
    // An ask's reply ref, looked up for every remote reply: no split, no array.
    if (path.startsWith('/temp/')) {
      const name = path.slice(6);
      return name.includes('/') ? undefined : this.temps.get(name);
    }
    const parts = path.split('/');
    let ref: ActorRef<unknown> | undefined;
    switch (parts[1]) {
      case 'user':
        ref = this.userGuardian;
        break;
      case 'system':
        ref = this.systemGuardian;
        break;
      case 'deadLetters':
        return parts.length === 2 ? this.deadLetters : undefined;
      case 'temp':
        return parts.length === 3 ? this.temps.get(parts[2]) : undefined;
      default:
        return undefined;
    }
    for (let i = 2; i < parts.length && ref; i++)
      ref = (ref as ActorCell).child(parts[i]) as ActorRef<unknown>;
    return ref && !(ref as ActorCell).isTerminated ? ref : undefined;
  }

  private localCell(ref: ActorRef<never>): ActorCell {
    const cell = ref as unknown as ActorCell;
    if (!(cell instanceof ActorCell) || cell.sys !== this) {
      throw new InvalidArgumentError(`${String(ref)} is not a local actor of ${this.name}`);
    }
    return cell;
  }

  terminate(): Promise<void> {
    if (!this.terminating) {
      this.terminating = true;
      this.userGuardian.requestStop(false);
    }
    return this.whenTerminated;
  }

  inspect(listener: (event: InspectionEvent) => void, options?: InspectOptions): () => void {
    return Inspector.subscribe(this, listener, options);
  }

  actorTree(): ActorTreeNode {
    return {
      path: '/',
      name: this.name,
      status: this.terminated ? 'terminated' : this.terminating ? 'stopping' : 'alive',
      mailboxSize: 0,
      children: [this.userGuardian.inspectTree(), this.systemGuardian.inspectTree()],
    };
  }

  stats(): SystemStats {
    return {
      turns: this.dispatcher.turns,
      messages: this.dispatcher.messages,
      deadLetters: this.deadLetterCount,
      liveActors: this.live,
    };
  }

  // ---------------------------------------------------------------- SystemInternals

  nextId(): number {
    return ++this.ids;
  }

  checkAlive(): void {
    if (this.terminated) throw new SystemTerminatedError(this.name);
  }

  dispatchPromptly(): void {
    this.dispatcher.runPromptly();
  }

  deadLetter(recipient: string, message: unknown, reason: DeadLetterReason): void {
    this.deadLetterCount++;
    if (this.events.wants('dead-letter')) {
      this.events.publish({ type: 'dead-letter', recipient, message, reason, timestamp: this.clock.now() });
    }
  }

  logEnabled(level: LogLevel): boolean {
    return LEVELS[level] >= this.minLevel || this.events.wants('log');
  }

  writeLog(level: LogLevel, source: string, message: string, data?: unknown): void {
    const toSink = LEVELS[level] >= this.minLevel;
    const toStream = this.events.wants('log');
    if (!toSink && !toStream) return;
    const event: LogEvent = { type: 'log', level, source, message, data, timestamp: this.clock.now() };
    if (toStream) this.events.publish(event);
    if (!toSink) return;
    if (this.logSink) this.logSink(event);
    else console.error(`[troupe ${level}] ${source}: ${message}`, ...(data === undefined ? [] : [data]));
  }

  rootFailure(child: ActorCell, error: unknown): void {
    const guardian = child.parent?.path ?? child.path;
    if (this.events.wants('root-failure')) {
      this.events.publish({ type: 'root-failure', guardian, child, error, timestamp: this.clock.now() });
    }
    if (this.onRootFailure) {
      try {
        this.onRootFailure({ child, error, system: this });
      } catch (e) {
        this.writeLog('error', guardian, 'onRootFailure threw', e);
      }
      return;
    }
    this.writeLog(
      'error',
      guardian,
      `failure of ${child.path} reached the root; terminating the system`,
      error,
    );
    void this.terminate();
  }

  actorSpawned(cell: ActorCell): void {
    this.live++;
    if (this.events.wants('actor-spawned')) {
      this.events.publish({ type: 'actor-spawned', ref: cell, timestamp: this.clock.now() });
    }
  }

  actorTerminated(): void {
    this.live--;
  }

  guardianTerminated(cell: ActorCell): void {
    if (cell === this.userGuardian) {
      this.terminating = true;
      this.systemGuardian.requestStop(false);
      return;
    }
    this.terminated = true;
    const error = new SystemTerminatedError(this.name);
    for (const t of [...this.temps.values()]) t.abort(error);
    this.temps.clear();
    this.resolveTerminated();
  }
}

/** The system's dead-letter ref: telling it publishes a dead letter. */
class DeadLetterRef extends BaseRef<unknown> {
  readonly name = 'deadLetters';
  constructor(private readonly sys: ActorSystemImpl) {
    super();
  }
  get path(): string {
    return '/deadLetters';
  }
  tell(message: unknown): void {
    this.sys.deadLetter(this.path, message, 'explicit');
  }
  sendSystem(msg: SysMsg): void {
    // Never alive: whoever watches it is told it is gone.
    if (msg.kind === SysKind.Watch) msg.ref.sendSystem(new SysMsg(SysKind.DeathWatch, this));
  }
  override toString(): string {
    return `troupe://${this.sys.name}${this.path}`;
  }
}

/**
 * Creates an actor system.
 *
 * @example
 * ```ts
 * import { createActorSystem, createSeededRandom, SimulatedClock } from '@troupe/core';
 * const clock = new SimulatedClock();
 * const system = createActorSystem({ name: 'test', clock, random: createSeededRandom(1), logLevel: 'off' });
 * ```
 */
export function createActorSystem(options: ActorSystemOptions): ActorSystem {
  return new ActorSystemImpl(options);
}

/** @internal Used by `ask` to find a ref's system. */
export function systemOf(ref: ActorRef<never>): ActorSystemImpl | undefined {
  const sys = (ref as unknown as { sys?: unknown }).sys;
  return sys instanceof ActorSystemImpl ? sys : undefined;
}

export type { ActorSystemImpl };
