import {
  type ActorContext,
  ActorNameTakenError,
  type ActorRef,
  type ActorSystem,
  type Behavior,
  BoundedStashBuffer,
  InvalidActorNameError,
  InvalidArgumentError,
  type Logger,
  type SpawnOptions,
  type SupervisorStrategy,
} from '@troupe/core';
import type { Effect, LogEntry, SpawnedChild } from '../Effect';
import { TestInbox } from '../TestInbox';
import { RecordingTimerScheduler } from './RecordingTimerScheduler';

// Core's actor name rules (ActorCell), so that a name core would refuse is refused here as well.
const NAME_RE = /^[A-Za-z0-9_\-.:@~][A-Za-z0-9_\-.:@~$]*$/;
const MAX_NAME = 255;

interface WatchEntry<M> {
  readonly withMessage: boolean;
  readonly message: M | undefined;
}

export interface FakeContextSetup<M> {
  readonly selfInbox: TestInbox<M>;
  readonly parentInbox: TestInbox<never>;
  readonly system: () => ActorSystem;
  readonly stashCapacity: number;
  readonly newInbox: <T>(path: string) => TestInbox<T>;
  /** Unstashed messages: handled right after the current handler. */
  readonly putBack: (items: M[]) => void;
}

/**
 * The `ActorContext` a behaviour sees under BehaviorTestKit: everything it does is recorded as an effect,
 * children are recorder refs that never start, timers never fire on their own, and nothing is dispatched.
 */
export class FakeActorContext<M> implements ActorContext<M> {
  readonly effects: Effect<M>[] = [];
  readonly logs: LogEntry[] = [];
  readonly timers: RecordingTimerScheduler<M>;
  readonly stash: BoundedStashBuffer<M>;
  readonly log: Logger;
  /** Live children by name, in spawn order. */
  readonly live = new Map<string, SpawnedChild>();
  /** Every child's inbox by name, kept after it stops so a test can still read what it was sent. */
  readonly inboxes = new Map<string, TestInbox<unknown>>();
  readonly watching = new Map<ActorRef<never>, WatchEntry<M>>();
  private anonymous = 0;

  constructor(private readonly setup: FakeContextSetup<M>) {
    this.timers = new RecordingTimerScheduler<M>((e) => this.effects.push(e));
    this.stash = new BoundedStashBuffer<M>(setup.stashCapacity, setup.selfInbox.path, setup.putBack);
    const write =
      (level: LogEntry['level']) =>
      (message: string, data?: unknown): void =>
        void this.logs.push({ level, message, data });
    this.log = {
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
      isEnabled: () => true,
    };
  }

  get self(): ActorRef<M> {
    return this.setup.selfInbox.ref;
  }

  get system(): ActorSystem {
    return this.setup.system();
  }

  get parent(): ActorRef<never> | undefined {
    return this.setup.parentInbox.ref;
  }

  get children(): ReadonlyArray<ActorRef<never>> {
    return [...this.live.values()].map((c) => c.ref as ActorRef<never>);
  }

  child(name: string): ActorRef<never> | undefined {
    return this.live.get(name)?.ref as ActorRef<never> | undefined;
  }

  spawn<C>(behavior: Behavior<C>, options?: SpawnOptions | string): ActorRef<C> {
    const opts: SpawnOptions = typeof options === 'string' ? { name: options } : { ...options };
    const given = opts.name;
    let name: string;
    if (given !== undefined) {
      if (
        typeof given !== 'string' ||
        given.length === 0 ||
        given.length > MAX_NAME ||
        !NAME_RE.test(given)
      ) {
        throw new InvalidActorNameError(String(given));
      }
      if (this.live.has(given)) throw new ActorNameTakenError(`${this.self.path}/${given}`);
      name = given;
    } else {
      name = '$' + (++this.anonymous).toString(36);
    }
    if (opts.restart !== undefined && !['permanent', 'transient', 'temporary'].includes(opts.restart)) {
      throw new InvalidArgumentError(`unknown restart type ${opts.restart}`);
    }
    const inbox = this.setup.newInbox<C>(`${this.self.path}/${name}`);
    this.inboxes.set(name, inbox as TestInbox<unknown>);
    const child: SpawnedChild = { name, behavior, options: opts, ref: inbox.ref };
    this.live.set(name, child);
    this.effects.push({
      type: 'spawned',
      name,
      anonymous: given === undefined,
      behavior,
      options: opts,
      ref: inbox.ref,
    });
    return inbox.ref;
  }

  stop(child: ActorRef<never>): void {
    const entry = [...this.live.values()].find((c) => c.ref === child);
    if (!entry) throw new InvalidArgumentError(`${child.path} is not a child of ${this.self.path}`);
    // A recorder child stops at once; its name is free again, as once core has seen a child terminate.
    this.live.delete(entry.name);
    this.effects.push({ type: 'stopped-child', name: entry.name, ref: child });
  }

  setSupervisorStrategy(strategy: SupervisorStrategy): void {
    this.effects.push({ type: 'supervisor-strategy-set', strategy });
  }

  watch(ref: ActorRef<never>): void {
    this.watchEntry(ref, { withMessage: false, message: undefined });
  }

  watchWith(ref: ActorRef<never>, message: M): void {
    this.watchEntry(ref, { withMessage: true, message });
  }

  unwatch(ref: ActorRef<never>): void {
    if (this.watching.delete(ref)) this.effects.push({ type: 'unwatched', ref });
  }

  pipeToSelf<T>(promise: PromiseLike<T>, onSuccess: (value: T) => M, onFailure: (error: unknown) => M): void {
    this.effects.push({ type: 'piped-to-self', promise });
    const deliver = (map: () => M): void => {
      try {
        this.self.tell(map());
      } catch (e) {
        // Core fails the actor here; with no supervisor in a unit test, the log is where it shows.
        this.log.error('pipeToSelf mapping threw', e);
      }
    };
    promise.then(
      (v) => deliver(() => onSuccess(v)),
      (e) => deliver(() => onFailure(e)),
    );
  }

  /** The watch for `ref`, taken out, or undefined when not watching it. */
  takeWatch(ref: ActorRef<never>): WatchEntry<M> | undefined {
    const entry = this.watching.get(ref);
    this.watching.delete(ref);
    return entry;
  }

  /** The actor stopped: what core tears down with it. */
  tearDown(): void {
    this.live.clear();
    this.timers.close();
    this.stash.drain();
    this.watching.clear();
  }

  private watchEntry(ref: ActorRef<never>, entry: WatchEntry<M>): void {
    if (typeof (ref as { sendSystem?: unknown })?.sendSystem !== 'function') {
      throw new InvalidArgumentError(`cannot watch ${String(ref)}`);
    }
    if (ref === (this.self as ActorRef<never>)) return; // core ignores a watch on oneself
    this.watching.set(ref, entry);
    this.effects.push({ type: 'watched', ref, ...entry });
  }
}
