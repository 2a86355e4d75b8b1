import {
  type ActorContext,
  type ActorRef,
  type ActorSystem,
  type Behavior,
  createActorSystem,
  createSeededRandom,
  DeathPactError,
  InvalidArgumentError,
  InvalidBehaviorError,
  type Next,
  PostStop,
  type Signal,
  SimulatedClock,
} from '@troupe/core';
import type { Effect, LogEntry, SpawnedChild, TimerInfo } from './Effect';
import { createTestInbox, type TestInbox } from './TestInbox';
import { NotIdleError, TestKitUsageError } from './TestKitError';
import {
  asReceiving,
  asSetup,
  asStopped,
  BehaviorTag,
  isThenable,
  type StoppedLike,
  tagOf,
} from './internal/behaviorTags';
import { FakeActorContext } from './internal/FakeActorContext';

export interface BehaviorTestKitOptions {
  /** The actor's name; its self ref is `/user/<name>`. Default `testkit`. */
  name?: string;
  /** Capacity of `ctx.stash`. Default 1000, as in core. */
  stashCapacity?: number;
  /**
   * What `ctx.system` is. Default: a system (made on first use) on the kit's clock whose dispatcher never runs,
   * so a behaviour can read the clock or the random source, and whatever it sends there just waits.
   */
  system?: ActorSystem;
  /** Virtual time `kit.clock` starts at. Default 0. */
  startAt?: number;
  /** Seeds the default system's random source. Default 1. */
  seed?: number;
}

/** Whether a step may wait on a promise (the `*Async` methods) or must finish synchronously. */
type Mode = 'sync' | 'async';
type Step = void | Promise<void>;

/** Most unstashed messages handled after one call before the kit calls it a loop. */
const MAX_DRAIN = 100_000;

/**
 * Runs one behaviour synchronously, with no dispatcher and no system: `run(message)` calls its handler then
 * and there, and every effect it has through its context is recorded (children spawned, timers started and
 * cancelled, watches, stops), while messages it sends to the refs it knows (`ctx.self`, its children, inboxes
 * you pass in) wait in those refs' inboxes. Spawned children are not started.
 *
 * Behaviours are interpreted as core's runtime interprets them: `setup` runs at once (and its effects are there
 * before the first `run`), `same` and nothing keep the behaviour, `stopped` stops it after a `PostStop` to the
 * old one, `unhandled` and `empty` record the message as unhandled, an unhandled `Terminated` is a
 * `DeathPactError`. Unlike the runtime there is no supervisor: what a handler throws is thrown to the test.
 *
 * @example
 * ```ts
 * const kit = testBehavior(parent);
 * expect(kit.effectsOf('spawned').map((e) => e.name)).toEqual(['worker']);
 * kit.run({ type: 'job', n: 1 });
 * kit.childInbox<Job>('worker').expectMessage({ type: 'job', n: 1 });
 * ```
 */
export class BehaviorTestKit<M> {
  /** The clock behind the default `ctx.system`. Timers do not run on it: fire them with `fireTimer`. */
  readonly clock: SimulatedClock;
  private readonly ctx: FakeActorContext<M>;
  private readonly selfBox: TestInbox<M>;
  private readonly systemName: string;
  private behavior: Behavior<M>;
  private returned: Next<M> | undefined = undefined;
  private alive = true;
  private readonly mailbox: M[] = [];
  private readonly unhandledMessages: M[] = [];
  private fakeSystem: ActorSystem | undefined;

  /** @internal Use `testBehavior` or `testBehaviorAsync`, which also run the behaviour's setup. */
  constructor(
    private readonly initial: Behavior<M>,
    options: BehaviorTestKitOptions = {},
  ) {
    if (tagOf(initial) === undefined) throw new InvalidBehaviorError('testBehavior needs a behaviour');
    const name = options.name ?? 'testkit';
    this.clock = new SimulatedClock(options.startAt ?? 0);
    this.systemName = options.system?.name ?? 'behavior-testkit';
    const inbox = <T>(path: string): TestInbox<T> =>
      createTestInbox<T>(path.slice(path.lastIndexOf('/') + 1), {
        path,
        systemName: this.systemName,
        clock: this.clock,
      });
    this.selfBox = inbox<M>(`/user/${name}`);
    this.behavior = initial;
    this.ctx = new FakeActorContext<M>({
      selfInbox: this.selfBox,
      parentInbox: inbox<never>('/user'),
      stashCapacity: options.stashCapacity ?? 1000,
      newInbox: inbox,
      putBack: (items) => this.mailbox.unshift(...items),
      system: () =>
        options.system ??
        (this.fakeSystem ??= createActorSystem({
          name: this.systemName,
          clock: this.clock,
          random: createSeededRandom(options.seed ?? 1),
          logLevel: 'off',
          // Never runs a turn: this system is only there to be looked at.
          executor: () => undefined,
        })),
    });
  }

  /** @internal Runs the initial behaviour's setup. */
  start(mode: Mode): Step {
    return this.become(this.initial, true, mode);
  }

  /** Whether the behaviour is still running (it has not returned `stopped`). */
  get isAlive(): boolean {
    return this.alive;
  }

  /** The behaviour that handles the next message. */
  get currentBehavior(): Behavior<M> {
    return this.behavior;
  }

  /**
   * What the last handler returned, as returned (a promise resolved): a behaviour, or undefined for "the same".
   */
  get returnedBehavior(): Behavior<M> | undefined {
    return (this.returned ?? undefined) as Behavior<M> | undefined;
  }

  /** The context the behaviour sees, for anything the kit does not surface. */
  get context(): ActorContext<M> {
    return this.ctx;
  }

  get self(): ActorRef<M> {
    return this.selfBox.ref;
  }

  /** Every effect so far, oldest first. */
  get effects(): ReadonlyArray<Effect<M>> {
    return this.ctx.effects;
  }

  /** The effects of one type. */
  effectsOf<T extends Effect<M>['type']>(type: T): Extract<Effect<M>, { type: T }>[] {
    return this.ctx.effects.filter((e): e is Extract<Effect<M>, { type: T }> => e.type === type);
  }

  /** Returns the effects so far and forgets them, to look at the next step on its own. */
  takeEffects(): Effect<M>[] {
    return this.ctx.effects.splice(0);
  }

  /** Live children, in spawn order. */
  get children(): ReadonlyArray<SpawnedChild> {
    return [...this.ctx.live.values()];
  }

  /** Messages sent to `ctx.self` (including `pipeToSelf` outcomes). Handle them with `runOne`. */
  selfInbox(): TestInbox<M> {
    return this.selfBox;
  }

  /** What was sent to the child spawned as `name` (also after it stopped). */
  childInbox<C = unknown>(name: string): TestInbox<C> {
    const inbox = this.ctx.inboxes.get(name);
    if (!inbox) {
      const known = [...this.ctx.inboxes.keys()];
      throw new InvalidArgumentError(
        `no child named ${JSON.stringify(name)} was spawned` +
          (known.length ? `; children: ${known.map((k) => JSON.stringify(k)).join(', ')}` : ''),
      );
    }
    return inbox as TestInbox<C>;
  }

  /** An inbox whose ref can be passed to the behaviour, typically as a `replyTo`. */
  createInbox<T>(name = 'inbox'): TestInbox<T> {
    return createTestInbox<T>(name, { systemName: this.systemName, clock: this.clock });
  }

  /** The stash's contents, oldest first. */
  get stashed(): ReadonlyArray<M> {
    return this.ctx.stash.contents;
  }

  get activeTimers(): ReadonlyArray<TimerInfo<M>> {
    return [...this.ctx.timers.active.values()];
  }

  isTimerActive(key: unknown): boolean {
    return this.ctx.timers.isTimerActive(key);
  }

  /** Refs watched and not yet unwatched nor reported terminated. */
  get watching(): ReadonlyArray<ActorRef<never>> {
    return [...this.ctx.watching.keys()];
  }

  /** Lines written through `ctx.log`. */
  get logs(): ReadonlyArray<LogEntry> {
    return this.ctx.logs;
  }

  /** Messages the behaviour did not handle (`unhandled()`, or an `empty` behaviour). */
  get unhandled(): ReadonlyArray<M> {
    return this.unhandledMessages;
  }

  /** Hands `message` to the behaviour now. Throws what the handler throws, and `TestKitUsageError` for a promise. */
  run(message: M): void {
    this.checkAlive('run');
    this.deliver(message, 'sync');
  }

  /** Like `run`, and waits for a handler that returns a promise. */
  async runAsync(message: M): Promise<void> {
    this.checkAlive('runAsync');
    await this.deliver(message, 'async');
  }

  /** Takes the oldest message sent to `ctx.self` and runs it. */
  runOne(): void {
    this.run(this.selfBox.receiveMessage());
  }

  /** Delivers the tick of the active timer `key`, as its firing would. A single timer is then done. */
  fireTimer(key: unknown): void {
    this.checkAlive('fireTimer');
    const timer = this.ctx.timers.consume(key);
    if (!timer) throw new InvalidArgumentError(`no active timer with key ${String(key)}`);
    this.deliver(timer.message, 'sync');
  }

  /**
   * Delivers a signal. `Terminated` for a ref watched with `watchWith` delivers that message instead, as core
   * does; for one not watched it is delivered anyway (the test asked for it). What `PreRestart` and `PostStop`
   * handlers return is ignored, as in core.
   */
  signal(signal: Signal): void {
    this.checkAlive('signal');
    this.deliverSignal(signal, 'sync');
  }

  /** Like `signal`, and waits for a handler that returns a promise. */
  async signalAsync(signal: Signal): Promise<void> {
    this.checkAlive('signalAsync');
    await this.deliverSignal(signal, 'async');
  }

  // ---------------------------------------------------------------- interpretation, as core's ActorCell

  private deliver(message: M, mode: Mode): Step {
    return then(this.handle(message, mode), () => this.drain(mode));
  }

  private deliverSignal(signal: Signal, mode: Mode): Step {
    if (signal.type !== 'Terminated') {
      const b = this.behavior;
      if (tagOf(b) !== BehaviorTag.Receive) return;
      const r = asReceiving(b)._onSignal(this.ctx, signal);
      return this.awaitOrRefuse(r, mode, 'a signal handler', (v) => void (this.returned = v ?? undefined));
    }
    const watch = this.ctx.takeWatch(signal.ref);
    if (watch?.withMessage) return this.deliver(watch.message as M, mode);
    const b = this.behavior;
    const tag = tagOf(b);
    if (tag === BehaviorTag.Ignore) return;
    if (tag !== BehaviorTag.Receive) throw new DeathPactError(signal.ref.path);
    const next = asReceiving(b)._onSignal(this.ctx, signal);
    return then(this.afterHandler(next, undefined, signal.ref, mode), () => this.drain(mode));
  }

  private handle(message: M, mode: Mode): Step {
    const b = this.behavior;
    const tag = tagOf(b);
    if (tag !== BehaviorTag.Receive) {
      if (tag === BehaviorTag.Empty) this.unhandledMessages.push(message);
      return;
    }
    return this.afterHandler(asReceiving(b)._onMessage(this.ctx, message), message, undefined, mode);
  }

  /** `watchee`: the handler was a `Terminated` signal's, for which `unhandled` means a death pact. */
  private afterHandler(
    next: Next<M>,
    message: M | undefined,
    watchee: ActorRef<never> | undefined,
    mode: Mode,
  ): Step {
    if (next !== undefined && tagOf(next) === undefined && isThenable(next)) {
      return this.awaitOrRefuse(next, mode, 'a handler', (n) => this.afterHandler(n, message, watchee, mode));
    }
    this.returned = next;
    if (next === undefined) return;
    const tag = tagOf(next);
    if (tag === undefined)
      throw new InvalidBehaviorError('a handler returned something that is not a behaviour');
    if (tag !== BehaviorTag.Unhandled) return this.become(next as Behavior<M>, false, mode);
    if (watchee) throw new DeathPactError(watchee.path);
    this.unhandledMessages.push(message as M);
  }

  private become(next: Behavior<M> | void, initial: boolean, mode: Mode): Step {
    if (next === undefined) {
      if (initial) throw new InvalidBehaviorError('a setup returned no behaviour');
      return;
    }
    switch (tagOf(next)) {
      case BehaviorTag.Receive:
      case BehaviorTag.Empty:
      case BehaviorTag.Ignore:
        this.behavior = next;
        return;
      case BehaviorTag.Setup: {
        const made = asSetup(next).factory(this.ctx);
        return this.awaitOrRefuse(made, mode, 'a setup', (b) => this.become(b, initial, mode));
      }
      case BehaviorTag.Stopped:
        return this.stopBy(asStopped(next), mode);
      case BehaviorTag.Same:
      case BehaviorTag.Unhandled:
        if (initial) throw new InvalidBehaviorError('same/unhandled cannot be an initial behaviour');
        return;
      default:
        throw new InvalidBehaviorError('a handler returned something that is not a behaviour');
    }
  }

  /** Core's order: children first (recorders here, gone at once), then `PostStop` to the old behaviour, then the callback. */
  private stopBy(b: StoppedLike, mode: Mode): Step {
    this.alive = false;
    this.ctx.effects.push({ type: 'stopped-self' });
    this.ctx.live.clear();
    const old = this.behavior;
    const signalled =
      tagOf(old) === BehaviorTag.Receive ? asReceiving(old)._onSignal(this.ctx, PostStop) : undefined;
    return this.awaitOrRefuse(signalled, mode, 'a PostStop handler', () => {
      b.postStop?.();
      this.mailbox.length = 0;
      this.ctx.tearDown();
    });
  }

  /** Messages put back by `unstashAll`, handled next, as core puts them at the front of the mailbox. */
  private drain(mode: Mode): Step {
    for (let n = 0; this.alive && this.mailbox.length > 0; n++) {
      if (n >= MAX_DRAIN) throw new NotIdleError(0, n);
      const step = this.handle(this.mailbox.shift() as M, mode);
      if (isThenable(step)) return step.then(() => this.drain(mode));
    }
  }

  private awaitOrRefuse<T>(value: T | PromiseLike<T>, mode: Mode, what: string, k: (v: T) => Step): Step {
    if (!isThenable(value)) return k(value as T);
    if (mode === 'sync') {
      // Nobody will await it now: keep a rejection from surfacing as an unhandled one.
      Promise.resolve(value).catch(() => undefined);
      throw new TestKitUsageError(
        `${what} returned a promise; use testBehaviorAsync, runAsync or signalAsync for asynchronous behaviours`,
      );
    }
    return Promise.resolve(value).then(k);
  }

  private checkAlive(what: string): void {
    if (!this.alive) {
      throw new TestKitUsageError(
        `${what}: the behaviour has stopped, so it handles nothing more (in a system, its messages would be dead letters)`,
      );
    }
  }
}

function then(step: Step, next: () => Step): Step {
  return isThenable(step) ? step.then(next) : next();
}

/**
 * A {@link BehaviorTestKit} for `behavior`, with its setup already run (synchronously: for a setup that
 * returns a promise, use {@link testBehaviorAsync}).
 *
 * @example
 * ```ts
 * const kit = testBehavior(ticker);
 * expect(kit.activeTimers).toEqual([expect.objectContaining({ key: 'tick', mode: 'fixed-rate', intervalMs: 1000 })]);
 * kit.fireTimer('tick');
 * ```
 */
export function testBehavior<M>(behavior: Behavior<M>, options?: BehaviorTestKitOptions): BehaviorTestKit<M> {
  const kit = new BehaviorTestKit<M>(behavior, options);
  kit.start('sync');
  return kit;
}

/**
 * Like {@link testBehavior}, for a behaviour whose setup is asynchronous.
 *
 * @example
 * ```ts
 * const kit = await testBehaviorAsync(setup(async (ctx) => receiveMessage(await loadState())));
 * ```
 */
export async function testBehaviorAsync<M>(
  behavior: Behavior<M>,
  options?: BehaviorTestKitOptions,
): Promise<BehaviorTestKit<M>> {
  const kit = new BehaviorTestKit<M>(behavior, options);
  await kit.start('async');
  return kit;
}
