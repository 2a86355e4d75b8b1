import type { ActorContext, Logger, SpawnOptions, StashBuffer, TimerScheduler } from '../ActorContext';
import {
  ActorInitializationError,
  ActorNameTakenError,
  DeathPactError,
  InvalidActorNameError,
  InvalidArgumentError,
  InvalidBehaviorError,
  RestartLimitExceededError,
} from '../ActorError';
import type { ActorRef } from '../ActorRef';
import type { ActorSystem } from '../ActorSystem';
import {
  type Behavior,
  ignore,
  type Next,
  type ReceivingBehavior,
  type SetupBehavior,
  type StoppedBehavior,
  Tag,
} from '../Behavior';
import type { TimerHandle } from '../Clock';
import type { DeadLetterReason } from '../EventStream';
import type { ActorStatus, ActorTreeNode } from '../Inspection';
import { PostStop, PreRestart, type Signal, Terminated } from '../Signal';
import type { Directive, SupervisorStrategy } from '../SupervisorStrategy';
import { BaseRef } from './BaseRef';
import { Deque } from './Deque';
import type { Dispatcher } from './Dispatcher';
import { Envelope, EnvelopeKind } from './Envelope';
import type { InternalRef } from './InternalRef';
import { createLogger } from './createLogger';
import { StashBufferImpl } from './StashBufferImpl';
import type { SystemInternals } from './SystemInternals';
import { SysKind, SysMsg } from './SysMsg';
import { TimerSchedulerImpl } from './TimerSchedulerImpl';

// Flags, packed in one number to keep an idle actor small.
const STATUS = 3;
const ALIVE = 0;
const RESTARTING = 1;
const STOPPING = 2;
const TERMINATED = 3;
const SCHEDULED = 4;
const SUSPENDED = 8;
const BUSY = 16;
const STARTED = 32;
const PERMANENT = 64;
const TEMPORARY = 128;
/** Stopped on request (parent, system, graceful stop): a permanent child stopped this way is not restarted. */
const STOP_REQUESTED = 256;
const GUARDIAN = 512;
/** In its parent's list of children (cleared once the parent has seen it terminate). */
const LINKED = 1024;

/** A permanent child that stopped by itself: restarted by its supervisor without asking the decider. */
const NORMAL_EXIT = Symbol('normal-exit');

const NAME_RE = /^[A-Za-z0-9_\-.:@~][A-Za-z0-9_\-.:@~$]*$/;
const MAX_NAME = 255;

interface WatchEntry {
  /** Custom message from `watchWith`, or `NO_MESSAGE` for the `Terminated` signal. */
  message: unknown;
}
const NO_MESSAGE = Symbol('no-message');

/** Children of one actor, in start order; allocated only for actors that have children. */
class Children {
  /** A doubly linked list through the cells' sibling fields: O(1) add and remove, no hashing, start order kept. */
  first: ActorCell | null = null;
  last: ActorCell | null = null;
  size = 0;
  named: Map<string, ActorCell> | null = null;
  /** Times of recent restarts, for the restart budget. */
  restartTimes: number[] | null = null;
  /** While stopping or restarting: children still to stop, next last (popped); and the one being stopped. */
  stopQueue: ActorCell[] | null = null;
  stopping: ActorCell | null = null;
}

/** Rarely used parts of a cell, allocated on first use so that an idle actor stays small. */
class CellExt {
  watchers: Set<InternalRef> | null = null;
  watching: Map<InternalRef, WatchEntry> | null = null;
  timers: TimerSchedulerImpl<any> | null = null;
  stash: StashBufferImpl<any> | null = null;
  log: Logger | null = null;
  capacity = Infinity;
  /** User messages in the queue; kept only for a bounded mailbox. */
  queued = 0;
  /** Internal envelopes in the queue. */
  envelopes = 0;
  dropOldest = false;
  stashCapacity = 1000;
  strategy: SupervisorStrategy | null = null;
  backoffAttempt = 0;
  lastRestartAt = -Infinity;
  restartTimer: TimerHandle | undefined = undefined;
  restartError: unknown = undefined;
  postStop: (() => void) | undefined = undefined;
  stopWaiters: (() => void)[] | null = null;
  /** Children that failed while this actor had escalated; resumed with it. */
  escalated: ActorCell[] | null = null;
}

/**
 * @internal One actor: its ref, its context and its mailbox in one object, so that an idle actor costs one
 * allocation. Users only ever see it through the `ActorRef` and `ActorContext` interfaces.
 */
export class ActorCell<M = any> extends BaseRef<M> implements ActorRef<M>, ActorContext<M>, InternalRef<M> {
  /** Bumped at every restart and stop; async completions and timers from an older generation are ignored. */
  gen = 0;
  flags: number;
  private behavior: Behavior<M>;
  private sysQ: Deque<SysMsg> | null = null;
  private userQ: Deque<unknown> | null = null;
  private kids: Children | null = null;
  private ext: CellExt | null = null;
  private prevSibling: ActorCell | null = null;
  private nextSibling: ActorCell | null = null;

  constructor(
    readonly sys: SystemInternals,
    private readonly parentCell: ActorCell | null,
    /** The name, or a number from which an anonymous name is made when someone asks. */
    private readonly id: string | number,
    private initial: Behavior<M>,
    flags: number,
  ) {
    super();
    this.flags = flags;
    this.behavior = initial;
  }

  // ---------------------------------------------------------------- ActorRef

  get name(): string {
    const id = this.id;
    return typeof id === 'number' ? '$' + id.toString(36) : id;
  }

  get path(): string {
    return this.parentCell ? this.parentCell.path + '/' + this.name : '/' + this.name;
  }

  override toString(): string {
    return `troupe://${this.sys.name}${this.path}`;
  }

  tell(message: M): void {
    const f = this.flags;
    if ((f & STATUS) >= STOPPING) {
      this.sys.deadLetter(this.path, message, 'recipient-terminated');
      return;
    }
    const q = this.userQ ?? (this.userQ = new Deque());
    const ext = this.ext;
    if (ext !== null && ext.capacity !== Infinity) {
      // The bound counts user messages only: internal items (timer ticks, Terminated notices) are never dropped.
      if (ext.queued >= ext.capacity) {
        if (!ext.dropOldest) {
          this.sys.deadLetter(this.path, message, 'mailbox-full');
          return;
        }
        this.sys.deadLetter(this.path, q.removeFirst(isUserMessage), 'dropped-oldest');
        ext.queued--;
      }
      ext.queued++;
    }
    q.push(message);
    if ((f & (SCHEDULED | SUSPENDED | BUSY | STATUS)) === 0) {
      this.flags = f | SCHEDULED;
      this.sys.dispatcher.schedule(this);
    }
  }

  // ---------------------------------------------------------------- InternalRef

  get isTerminated(): boolean {
    return (this.flags & STATUS) === TERMINATED;
  }

  sendSystem(msg: SysMsg): void {
    if ((this.flags & STATUS) === TERMINATED) {
      // Somebody watching an actor that is already gone learns so at once: Terminated is never lost.
      if (msg.kind === SysKind.Watch) msg.ref.sendSystem(new SysMsg(SysKind.DeathWatch, this));
      return;
    }
    (this.sysQ ?? (this.sysQ = new Deque())).push(msg);
    this.wake();
  }

  /** Puts an internal envelope at the back of the user queue, past the mailbox bound (it is never dropped). */
  private enqueueInternal(env: Envelope): void {
    if ((this.flags & STATUS) >= STOPPING) return;
    this.extension().envelopes++;
    (this.userQ ?? (this.userQ = new Deque())).push(env);
    this.wake();
  }

  // ---------------------------------------------------------------- dispatcher side

  private hasWork(): boolean {
    const f = this.flags;
    if (this.sysQ !== null && this.sysQ.length > 0) return true;
    if ((f & (STATUS | SUSPENDED | BUSY)) !== 0) return false;
    return (f & STARTED) === 0 || (this.userQ !== null && this.userQ.length > 0);
  }

  private wake(): void {
    if ((this.flags & SCHEDULED) === 0 && this.hasWork()) {
      this.flags |= SCHEDULED;
      this.sys.dispatcher.schedule(this);
    }
  }

  /** Called by the dispatcher after `run`: back in line if there is more to do. */
  afterRun(dispatcher: Dispatcher): void {
    if (this.hasWork()) dispatcher.requeue(this);
    else this.flags &= ~SCHEDULED;
  }

  /** Handles all system messages and up to `budget` user messages. Returns how many user messages it handled. */
  run(budget: number): number {
    let n = 0;
    for (;;) {
      const sq = this.sysQ;
      if (sq !== null && sq.length > 0) this.processSystem(sq);
      const f = this.flags;
      if ((f & (STATUS | SUSPENDED | BUSY)) !== 0) break;
      if ((f & STARTED) === 0) {
        this.start();
        continue;
      }
      const uq = this.userQ;
      if (uq === null || uq.length === 0 || n >= budget) break;
      n++;
      const m = uq.shift();
      const ext = this.ext;
      // Most actors have no extension, and so no envelopes in their queue: skip the type check for them.
      if (ext === null) this.invoke(m);
      else if (ext.envelopes > 0 && m instanceof Envelope) {
        ext.envelopes--;
        this.invokeEnvelope(m);
      } else {
        if (ext.capacity !== Infinity) ext.queued--;
        this.invoke(m);
      }
    }
    return n;
  }

  // ---------------------------------------------------------------- behaviour

  private start(): void {
    this.flags |= STARTED;
    this.become(this.initial, true);
  }

  /** Installs `next` as the behaviour, running setups and honouring `stopped`. */
  private become(next: Behavior<M> | void, initial: boolean): void {
    if (next === undefined) {
      if (initial) this.fail(new InvalidBehaviorError('a setup returned no behaviour'));
      return;
    }
    switch (next._tag) {
      case Tag.Receive:
      case Tag.Empty:
      case Tag.Ignore:
        this.behavior = next;
        return;
      case Tag.Setup:
        this.runSetup(next as SetupBehavior<M>, initial);
        return;
      case Tag.Stopped:
        this.stopByBehavior(next as StoppedBehavior<M>);
        return;
      case Tag.Same:
      case Tag.Unhandled:
        if (initial) this.fail(new InvalidBehaviorError('same/unhandled cannot be an initial behaviour'));
        return;
    }
  }

  private runSetup(b: SetupBehavior<M>, initial: boolean): void {
    let next: Behavior<M> | Promise<Behavior<M>>;
    try {
      next = b.factory(this);
    } catch (e) {
      this.fail(initial ? new ActorInitializationError(this.path, e) : e);
      return;
    }
    if ((this.flags & STATUS) !== ALIVE) return; // setup stopped the actor (e.g. stopped its own self)
    if ((next as any)?._tag === undefined && typeof (next as any)?.then === 'function') {
      this.awaitNext(next as Promise<Behavior<M>>, initial, undefined);
    } else {
      this.become(next as Behavior<M>, initial);
    }
  }

  /** Hands one user message to the behaviour. */
  private invoke(message: unknown): void {
    // The only cost of inspection when nobody inspects: one null check per message.
    const inspector = this.sys.inspector;
    if (inspector !== null) inspector.received(this, message);
    const b = this.behavior;
    if (b._tag !== Tag.Receive) {
      if (b._tag === Tag.Empty) this.publishUnhandled(message);
      return;
    }
    let next: Next<M>;
    try {
      next = (b as ReceivingBehavior<M>)._onMessage(this, message as M);
    } catch (e) {
      this.fail(e);
      return;
    }
    if (next !== undefined) this.afterHandler(next, message);
  }

  /** `watchee`: the handler was a `Terminated` signal's, for which `unhandled` means a death pact. */
  private afterHandler(next: Next<M>, message: unknown, watchee?: InternalRef): void {
    if (next === undefined) return;
    if ((next as any)._tag === undefined) {
      if (typeof (next as any).then === 'function') {
        this.awaitNext(next as Promise<Behavior<M> | void>, false, message, watchee);
        return;
      }
      this.fail(new InvalidBehaviorError('a handler returned something that is not a behaviour'));
      return;
    }
    if ((next as Behavior<M>)._tag !== Tag.Unhandled) this.become(next as Behavior<M>, false);
    else if (watchee) this.fail(new DeathPactError(watchee.path));
    else this.publishUnhandled(message);
  }

  /** The promise holds the mailbox until it settles; system messages still flow. */
  private awaitNext(
    p: Promise<Behavior<M> | void>,
    initial: boolean,
    message: unknown,
    watchee?: InternalRef,
  ): void {
    this.flags |= BUSY;
    const gen = this.gen;
    p.then(
      (next) => {
        if (gen !== this.gen) return;
        this.flags &= ~BUSY;
        if (initial) this.become(next, true);
        else this.afterHandler(next, message, watchee);
        this.wake();
      },
      (error) => {
        if (gen !== this.gen) return;
        this.flags &= ~BUSY;
        this.fail(initial ? new ActorInitializationError(this.path, error) : error);
        this.wake();
      },
    );
  }

  private invokeEnvelope(env: Envelope): void {
    switch (env.kind) {
      case EnvelopeKind.Timer: {
        const timers = this.ext?.timers;
        if (timers && timers.accept(env)) this.invoke(env.payload);
        return;
      }
      case EnvelopeKind.Terminated: {
        const ref = env.payload as InternalRef;
        const watching = this.ext?.watching;
        const entry = watching?.get(ref);
        if (!entry || entry !== env.extra) return; // unwatched meanwhile
        watching!.delete(ref);
        if (entry.message !== NO_MESSAGE) {
          this.invoke(entry.message);
          return;
        }
        const b = this.behavior;
        if (b._tag === Tag.Ignore) return;
        if (b._tag !== Tag.Receive) {
          this.fail(new DeathPactError(ref.path));
          return;
        }
        let next: Next<M>;
        try {
          next = (b as ReceivingBehavior<M>)._onSignal(this, Terminated(ref));
        } catch (e) {
          this.fail(e);
          return;
        }
        this.afterHandler(next, undefined, ref);
        return;
      }
      case EnvelopeKind.Stop:
        this.flags |= STOP_REQUESTED;
        this.stopSelf();
        return;
      case EnvelopeKind.Fail:
        this.fail(env.payload);
        return;
    }
  }

  private publishUnhandled(message: unknown): void {
    if (this.sys.events.wants('unhandled')) {
      this.sys.events.publish({
        type: 'unhandled',
        recipient: this,
        message,
        timestamp: this.sys.clock.now(),
      });
    }
  }

  /** Runs a lifecycle signal whose outcome does not matter; its errors are reported, never propagated. */
  private signalQuietly(signal: Signal): void {
    const b = this.behavior;
    if (b._tag !== Tag.Receive) return;
    try {
      const r = (b as ReceivingBehavior<M>)._onSignal(this, signal);
      if (r && typeof (r as any).then === 'function') {
        (r as Promise<unknown>).then(undefined, (e) => this.reportSignalError(signal, e));
      }
    } catch (e) {
      this.reportSignalError(signal, e);
    }
  }

  private reportSignalError(signal: Signal, error: unknown): void {
    this.sys.writeLog(
      'error',
      this.path,
      `${signal.type} handler threw; the actor goes on with its lifecycle`,
      error,
    );
  }

  // ---------------------------------------------------------------- failure and supervision

  private fail(error: unknown): void {
    const f = this.flags;
    if ((f & STATUS) >= STOPPING || (f & SUSPENDED) !== 0) {
      this.sys.writeLog('error', this.path, 'failed while stopping or already failed', error);
      return;
    }
    this.flags = f | SUSPENDED;
    if (this.sys.events.wants('actor-failed')) {
      this.sys.events.publish({ type: 'actor-failed', ref: this, error, timestamp: this.sys.clock.now() });
    }
    this.sys.writeLog('error', this.path, 'actor failed', error);
    if (this.parentCell) this.parentCell.sendSystem(new SysMsg(SysKind.Failed, this, error));
    else this.sys.rootFailure(this, error);
  }

  private strategy(): SupervisorStrategy {
    return this.ext?.strategy ?? this.sys.defaultStrategy;
  }

  private onChildFailed(child: ActorCell, error: unknown): void {
    if ((this.flags & STATUS) !== ALIVE || !this.isChild(child) || (child.flags & STATUS) >= STOPPING) return;
    const strategy = this.strategy();
    let directive: Directive = error === NORMAL_EXIT ? 'restart' : strategy.decide(error);
    if (directive === 'restart' && (child.flags & TEMPORARY) !== 0) directive = 'stop';
    const shown = error === NORMAL_EXIT ? undefined : error;
    if (directive === 'restart' && !this.chargeRestart(strategy)) {
      const limit = new RestartLimitExceededError(this.path, strategy.maxRestarts, strategy.withinMs, shown);
      this.publishDecision(child, limit, 'escalate', strategy);
      this.escalate(child, limit);
      return;
    }
    if (directive !== 'restart') {
      this.publishDecision(child, shown, directive, strategy);
      if (directive === 'resume') child.sendSystem(new SysMsg(SysKind.Resume, this));
      else if (directive === 'stop') this.stopChild(child);
      else this.escalate(child, shown);
      return;
    }
    const delay = child.nextBackoff(strategy);
    this.publishDecision(child, shown, 'restart', strategy, delay);
    for (const target of this.restartTargets(child, strategy)) {
      if ((target.flags & TEMPORARY) !== 0) this.stopChild(target);
      else target.restartAfter(shown, delay);
    }
  }

  private escalate(child: ActorCell, error: unknown): void {
    if ((this.flags & GUARDIAN) !== 0) {
      // Nobody above a guardian: the root handler decides, and the child that got here is stopped.
      this.sys.rootFailure(child, error);
      this.stopChild(child);
      return;
    }
    const ext = this.extension();
    (ext.escalated ?? (ext.escalated = [])).push(child);
    this.fail(error);
  }

  private publishDecision(
    child: ActorCell,
    error: unknown,
    directive: Directive,
    strategy: SupervisorStrategy,
    delayMs?: number,
  ): void {
    const events = this.sys.events;
    if (!events.wants('supervision')) return;
    events.publish({
      type: 'supervision',
      supervisor: this,
      child,
      error,
      directive,
      strategy: strategy.kind,
      ...(delayMs ? { delayMs } : {}),
      timestamp: this.sys.clock.now(),
    });
  }

  /** Counts a restart against the budget; false when it would exceed it. */
  private chargeRestart(strategy: SupervisorStrategy): boolean {
    if (strategy.maxRestarts === Infinity) return true;
    const kids = this.kids!;
    const now = this.sys.clock.now();
    const times = kids.restartTimes ?? (kids.restartTimes = []);
    const since = now - strategy.withinMs;
    let drop = 0;
    while (drop < times.length && times[drop] <= since) drop++;
    if (drop > 0) times.splice(0, drop);
    if (times.length >= strategy.maxRestarts) return false;
    times.push(now);
    return true;
  }

  private restartTargets(child: ActorCell, strategy: SupervisorStrategy): ActorCell[] {
    if (strategy.kind === 'one-for-one') return [child];
    const all = this.childList().filter((c) => (c.flags & STATUS) < STOPPING);
    if (strategy.kind === 'all-for-one') return all;
    return all.slice(all.indexOf(child));
  }

  private nextBackoff(strategy: SupervisorStrategy): number {
    if (!strategy.backoff) return 0;
    const ext = this.extension();
    if (this.sys.clock.now() - ext.lastRestartAt > strategy.backoff.resetAfterMs) ext.backoffAttempt = 0;
    return strategy.backoffDelay(ext.backoffAttempt++, this.sys.random.next());
  }

  private restartAfter(error: unknown, delayMs: number): void {
    if (delayMs <= 0) {
      this.sendSystem(new SysMsg(SysKind.Restart, this, error));
      return;
    }
    // Suspended meanwhile: its messages wait in the mailbox (the "stash" of the backoff) until the restart.
    this.flags |= SUSPENDED;
    const ext = this.extension();
    if (ext.restartTimer !== undefined) this.sys.clock.clearTimeout(ext.restartTimer);
    ext.restartTimer = this.sys.clock.setTimeout(() => {
      ext.restartTimer = undefined;
      this.sendSystem(new SysMsg(SysKind.Restart, this, error));
    }, delayMs);
  }

  private onResume(): void {
    if ((this.flags & STATUS) !== ALIVE) return;
    this.flags &= ~SUSPENDED;
    const escalated = this.ext?.escalated;
    if (escalated) {
      this.ext!.escalated = null;
      for (const c of escalated) c.sendSystem(new SysMsg(SysKind.Resume, this));
    }
  }

  private onRestart(error: unknown): void {
    if ((this.flags & STATUS) !== ALIVE) return;
    this.gen++;
    this.flags = (this.flags & ~BUSY) | SUSPENDED;
    if ((this.flags & STARTED) !== 0) this.signalQuietly(PreRestart);
    const ext = this.extension();
    // After PreRestart, so that a timer it started does not outlive the old incarnation either.
    ext.timers?.cancelAll();
    if (ext.restartTimer !== undefined) {
      this.sys.clock.clearTimeout(ext.restartTimer);
      ext.restartTimer = undefined;
    }
    ext.restartError = error;
    ext.escalated = null;
    if (ext.stash && !ext.stash.isEmpty) this.putBack(ext.stash.drain());
    this.clearWatching();
    if (this.kids !== null && this.kids.size > 0) {
      this.flags = (this.flags & ~STATUS) | RESTARTING;
      this.stopChildrenInOrder();
    } else {
      this.finishRestart();
    }
  }

  private finishRestart(): void {
    const ext = this.extension();
    const error = ext.restartError;
    ext.restartError = undefined;
    ext.lastRestartAt = this.sys.clock.now();
    this.flags = this.flags & ~(STATUS | SUSPENDED | STARTED);
    this.behavior = this.initial;
    if (this.sys.events.wants('actor-restarted')) {
      this.sys.events.publish({ type: 'actor-restarted', ref: this, error, timestamp: this.sys.clock.now() });
    }
    this.wake(); // start() runs in the next run, like the first start
  }

  // ---------------------------------------------------------------- stopping

  private stopByBehavior(b: StoppedBehavior<M>): void {
    if ((this.flags & (PERMANENT | STOP_REQUESTED)) === PERMANENT && this.parentCell !== null) {
      // Erlang: a permanent child that exits normally is restarted by its supervisor.
      this.signalQuietly(PostStop);
      this.runPostStopCallback(b.postStop);
      this.behavior = ignore();
      this.flags |= SUSPENDED;
      this.parentCell.sendSystem(new SysMsg(SysKind.Failed, this, NORMAL_EXIT));
      return;
    }
    if (b.postStop) this.extension().postStop = b.postStop;
    this.stopSelf();
  }

  private runPostStopCallback(fn: (() => void) | undefined): void {
    if (!fn) return;
    try {
      fn();
    } catch (e) {
      this.reportSignalError(PostStop, e);
    }
  }

  /** Stops this actor: first its children, last to first, then itself. */
  stopSelf(): void {
    const status = this.flags & STATUS;
    if (status >= STOPPING) return;
    this.gen++;
    this.flags = (this.flags & ~(STATUS | BUSY)) | STOPPING;
    const ext = this.ext;
    if (ext) {
      ext.timers?.cancelAll();
      if (ext.restartTimer !== undefined) {
        this.sys.clock.clearTimeout(ext.restartTimer);
        ext.restartTimer = undefined;
      }
    }
    if (this.kids !== null && this.kids.size > 0) {
      // Already stopping children for a restart: that queue goes on, and the end of it now finishes a stop.
      if (status !== RESTARTING) this.stopChildrenInOrder();
    } else {
      this.finishStop();
    }
  }

  private stopChildrenInOrder(): void {
    const kids = this.kids!;
    kids.stopQueue = this.childList();
    kids.stopping = null;
    this.stopNextChild();
  }

  private stopNextChild(): void {
    const kids = this.kids!;
    for (;;) {
      let q = kids.stopQueue;
      if (!q || q.length === 0) {
        // Children spawned while stopping (say, from a PostStop) join the end of the line.
        if (kids.size === 0) return;
        q = kids.stopQueue = this.childList();
      }
      const next = q.pop()!;
      if (!this.isChild(next)) continue;
      kids.stopping = next;
      this.stopChild(next);
      return;
    }
  }

  private stopChild(child: ActorCell): void {
    child.flags |= STOP_REQUESTED;
    child.sendSystem(new SysMsg(SysKind.Stop, this));
  }

  private onChildTerminated(child: ActorCell): void {
    const kids = this.kids;
    if (kids === null || !this.isChild(child)) return;
    this.unlinkChild(kids, child);
    if (typeof child.id === 'string') kids.named?.delete(child.id);
    const status = this.flags & STATUS;
    if (status === RESTARTING || status === STOPPING) {
      if (kids.size === 0) {
        kids.stopQueue = null;
        kids.stopping = null;
        if (status === RESTARTING) this.finishRestart();
        else this.finishStop();
      } else if (kids.stopping === child) {
        this.stopNextChild();
      }
    }
  }

  private finishStop(): void {
    if ((this.flags & STARTED) !== 0) this.signalQuietly(PostStop);
    const ext = this.ext; // read after PostStop, which may have created it
    this.runPostStopCallback(ext?.postStop);
    // Again, after PostStop: a timer it started must not outlive the actor.
    ext?.timers?.close();
    this.flags = (this.flags & ~(STATUS | SUSPENDED)) | TERMINATED;
    this.behavior = ignore();
    this.initial = this.behavior;
    const path = this.path;
    const uq = this.userQ;
    this.userQ = null;
    if (ext) ext.queued = ext.envelopes = 0;
    if (uq) for (const m of uq.drain()) this.deadLetterLeftover(path, m, 'recipient-terminated');
    if (ext?.stash) for (const m of ext.stash.drain()) this.deadLetterLeftover(path, m, 'stash-discarded');
    const sq = this.sysQ;
    this.sysQ = null;
    if (sq) for (const m of sq.drain()) this.sendSystem(m); // now answered as by a dead actor
    if (ext?.watchers) {
      for (const w of ext.watchers) w.sendSystem(new SysMsg(SysKind.DeathWatch, this));
      ext.watchers = null;
    }
    this.clearWatching();
    if (this.parentCell) this.sys.actorTerminated();
    if (this.parentCell) this.parentCell.sendSystem(new SysMsg(SysKind.ChildTerminated, this));
    else this.sys.guardianTerminated(this);
    if (ext?.stopWaiters) {
      for (const resolve of ext.stopWaiters) resolve();
      ext.stopWaiters = null;
    }
    if (this.sys.events.wants('actor-stopped')) {
      this.sys.events.publish({ type: 'actor-stopped', ref: this, timestamp: this.sys.clock.now() });
    }
  }

  private deadLetterLeftover(path: string, m: unknown, reason: DeadLetterReason): void {
    if (m instanceof Envelope) {
      // Timer ticks and watch notifications die with the actor; a message piped or watched-with does not.
      if (m.kind !== EnvelopeKind.Terminated) return;
      const entry = m.extra as WatchEntry;
      if (entry.message === NO_MESSAGE) return;
      m = entry.message;
    }
    this.sys.deadLetter(path, m, reason);
  }

  /** Resolves when this actor has terminated (at once if it has). */
  whenTerminated(): Promise<void> {
    if ((this.flags & STATUS) === TERMINATED) return Promise.resolve();
    return new Promise((resolve) => {
      const ext = this.extension();
      (ext.stopWaiters ?? (ext.stopWaiters = [])).push(resolve);
    });
  }

  /** Stop requested from outside the tree (system.stop, gracefulStop's timeout). */
  requestStop(graceful: boolean): void {
    if (graceful) {
      this.enqueueInternal(new Envelope(EnvelopeKind.Stop, undefined, undefined));
      return;
    }
    this.flags |= STOP_REQUESTED;
    this.sendSystem(new SysMsg(SysKind.Stop, this));
  }

  // ---------------------------------------------------------------- system messages

  private processSystem(q: Deque<SysMsg>): void {
    let m: SysMsg | undefined;
    while ((m = q.shift()) !== undefined) {
      switch (m.kind) {
        case SysKind.Watch: {
          const ext = this.extension();
          (ext.watchers ?? (ext.watchers = new Set())).add(m.ref);
          break;
        }
        case SysKind.Unwatch:
          this.ext?.watchers?.delete(m.ref);
          break;
        case SysKind.DeathWatch:
          this.onDeathWatch(m.ref);
          break;
        case SysKind.Failed:
          this.onChildFailed(m.ref as ActorCell, m.error);
          break;
        case SysKind.ChildTerminated:
          this.onChildTerminated(m.ref as ActorCell);
          break;
        case SysKind.Stop:
          this.stopSelf();
          break;
        case SysKind.Resume:
          this.onResume();
          break;
        case SysKind.Restart:
          this.onRestart(m.error);
          break;
      }
      if ((this.flags & STATUS) === TERMINATED) return;
    }
  }

  private onDeathWatch(ref: InternalRef): void {
    const entry = this.ext?.watching?.get(ref);
    if (!entry) return;
    // Through the user queue, so the notice comes after the messages the dead actor sent before it died.
    this.enqueueInternal(new Envelope(EnvelopeKind.Terminated, ref, entry));
  }

  private clearWatching(): void {
    const ext = this.ext;
    if (!ext?.watching) return;
    for (const ref of ext.watching.keys()) ref.sendSystem(new SysMsg(SysKind.Unwatch, this));
    ext.watching = null;
  }

  // ---------------------------------------------------------------- ActorContext

  get self(): ActorRef<M> {
    return this;
  }

  get system(): ActorSystem {
    return this.sys.publicSystem;
  }

  get parent(): ActorRef<never> | undefined {
    return this.parentCell ?? undefined;
  }

  get children(): ReadonlyArray<ActorRef<never>> {
    if (this.kids === null) return [];
    const out: ActorCell[] = [];
    for (let c = this.kids.first; c !== null; c = c.nextSibling)
      if ((c.flags & STATUS) !== TERMINATED) out.push(c);
    return out;
  }

  child(name: string): ActorRef<never> | undefined {
    const kids = this.kids;
    if (kids === null) return undefined;
    const named = kids.named?.get(name);
    if (named) return named;
    if (name.startsWith('$'))
      for (let c = kids.first; c !== null; c = c.nextSibling) if (c.name === name) return c;
    return undefined;
  }

  spawn<C>(behavior: Behavior<C>, options?: SpawnOptions | string): ActorRef<C> {
    return this.spawnChild(behavior, options, 0);
  }

  /** @internal */
  spawnChild<C>(
    behavior: Behavior<C>,
    options: SpawnOptions | string | undefined,
    extraFlags: number,
  ): ActorCell<C> {
    const sys = this.sys;
    sys.checkAlive();
    let flags = extraFlags;
    let id: string | number;
    const opts = typeof options === 'string' ? { name: options } : options;
    const name = opts?.name;
    const kids = this.kids ?? (this.kids = new Children());
    if (name !== undefined) {
      if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME || !NAME_RE.test(name)) {
        throw new InvalidActorNameError(String(name));
      }
      const named = kids.named ?? (kids.named = new Map());
      if (named.has(name)) throw new ActorNameTakenError(this.path + '/' + name);
      id = name;
    } else {
      id = sys.nextId();
    }
    if (opts?.restart !== undefined) {
      if (opts.restart === 'permanent') flags |= PERMANENT;
      else if (opts.restart === 'temporary') flags |= TEMPORARY;
      else if (opts.restart !== 'transient')
        throw new InvalidArgumentError(`unknown restart type ${opts.restart}`);
    }
    if (behavior._tag === Tag.Receive) flags |= STARTED;
    const cell = new ActorCell<C>(sys, this, id, behavior, flags);
    if (opts) cell.configure(opts);
    if (name !== undefined) kids.named!.set(name, cell);
    cell.flags |= LINKED;
    if (kids.last === null) kids.first = cell;
    else {
      kids.last.nextSibling = cell;
      cell.prevSibling = kids.last;
    }
    kids.last = cell;
    kids.size++;
    sys.actorSpawned(cell);
    if ((flags & STARTED) === 0) cell.wake();
    if ((this.flags & STATUS) === TERMINATED) cell.stopSelf();
    return cell;
  }

  private configure(opts: SpawnOptions): void {
    const { mailbox, supervisorStrategy, stashCapacity } = opts;
    if (mailbox === undefined && supervisorStrategy === undefined && stashCapacity === undefined) return;
    const ext = this.extension();
    if (mailbox !== undefined) {
      if (!(mailbox.capacity >= 1)) throw new InvalidArgumentError('mailbox capacity must be at least 1');
      if (
        mailbox.overflow !== undefined &&
        mailbox.overflow !== 'drop-newest' &&
        mailbox.overflow !== 'drop-oldest'
      ) {
        throw new InvalidArgumentError(`unknown overflow strategy ${String(mailbox.overflow)}`);
      }
      ext.capacity = mailbox.capacity;
      ext.dropOldest = mailbox.overflow === 'drop-oldest';
    }
    if (supervisorStrategy !== undefined) ext.strategy = supervisorStrategy;
    if (stashCapacity !== undefined) {
      if (!(stashCapacity >= 0)) throw new InvalidArgumentError('stash capacity must be >= 0');
      ext.stashCapacity = stashCapacity;
    }
  }

  stop(child: ActorRef<never>): void {
    const c = child as unknown as ActorCell;
    if (!(c instanceof ActorCell) || c.parentCell !== this) {
      throw new InvalidArgumentError(`${child.path} is not a child of ${this.path}`);
    }
    this.stopChild(c);
  }

  setSupervisorStrategy(strategy: SupervisorStrategy): void {
    this.extension().strategy = strategy;
  }

  watch(ref: ActorRef<never>): void {
    this.watchInternal(ref, NO_MESSAGE);
  }

  watchWith(ref: ActorRef<never>, message: M): void {
    this.watchInternal(ref, message);
  }

  private watchInternal(ref: ActorRef<never>, message: unknown): void {
    const target = ref as unknown as InternalRef;
    if (typeof target?.sendSystem !== 'function')
      throw new InvalidArgumentError(`cannot watch ${String(ref)}`);
    if (target === (this as InternalRef)) return;
    const ext = this.extension();
    const watching = ext.watching ?? (ext.watching = new Map());
    const existing = watching.get(target);
    if (existing) {
      existing.message = message;
      return;
    }
    watching.set(target, { message });
    target.sendSystem(new SysMsg(SysKind.Watch, this));
  }

  unwatch(ref: ActorRef<never>): void {
    const target = ref as unknown as InternalRef;
    const watching = this.ext?.watching;
    if (!watching?.delete(target)) return;
    target.sendSystem(new SysMsg(SysKind.Unwatch, this));
  }

  get timers(): TimerScheduler<M> {
    const ext = this.extension();
    return (
      ext.timers ??
      (ext.timers = new TimerSchedulerImpl<M>(this.sys.clock, (env) => this.enqueueInternal(env)))
    );
  }

  get stash(): StashBuffer<M> {
    const ext = this.extension();
    return (
      ext.stash ??
      (ext.stash = new StashBufferImpl<M>(ext.stashCapacity, this.path, (items) => this.putBack(items)))
    );
  }

  get log(): Logger {
    const ext = this.extension();
    return ext.log ?? (ext.log = createLogger(this.sys, this.path));
  }

  pipeToSelf<T>(promise: PromiseLike<T>, onSuccess: (value: T) => M, onFailure: (error: unknown) => M): void {
    const deliver = (map: () => M): void => {
      let message: M;
      try {
        message = map();
      } catch (e) {
        this.enqueueInternal(new Envelope(EnvelopeKind.Fail, e, undefined));
        return;
      }
      this.tell(message);
    };
    promise.then(
      (v) => deliver(() => onSuccess(v)),
      (e) => deliver(() => onFailure(e)),
    );
  }

  /** Unstashed messages go back to the front of the mailbox, in order. */
  private putBack(items: unknown[]): void {
    (this.userQ ?? (this.userQ = new Deque())).unshiftAll(items);
    const ext = this.ext;
    if (ext !== null && ext.capacity !== Infinity) ext.queued += items.length;
  }

  private isChild(c: ActorCell): boolean {
    return c.parentCell === this && (c.flags & LINKED) !== 0;
  }

  /** Children in start order, as an array (for the rare paths that need one). */
  private childList(): ActorCell[] {
    const out: ActorCell[] = [];
    for (let c = this.kids?.first ?? null; c !== null; c = c.nextSibling) out.push(c);
    return out;
  }

  private unlinkChild(kids: Children, c: ActorCell): void {
    if (c.prevSibling === null) kids.first = c.nextSibling;
    else c.prevSibling.nextSibling = c.nextSibling;
    if (c.nextSibling === null) kids.last = c.prevSibling;
    else c.nextSibling.prevSibling = c.prevSibling;
    c.prevSibling = c.nextSibling = null;
    c.flags &= ~LINKED;
    kids.size--;
  }

  private extension(): CellExt {
    return this.ext ?? (this.ext = new CellExt());
  }

  /** @internal For inspection (tests, dashboards): mailbox depth. */
  get mailboxSize(): number {
    return this.userQ?.length ?? 0;
  }

  /** @internal A snapshot of this actor and its descendants, for `system.actorTree()`. */
  inspectTree(): ActorTreeNode {
    const children: ActorTreeNode[] = [];
    for (let c = this.kids?.first ?? null; c !== null; c = c.nextSibling) children.push(c.inspectTree());
    return {
      path: this.path,
      name: this.name,
      status: this.status(),
      mailboxSize: this.mailboxSize,
      children,
    };
  }

  private status(): ActorStatus {
    const f = this.flags;
    switch (f & STATUS) {
      case TERMINATED:
        return 'terminated';
      case STOPPING:
        return 'stopping';
      case RESTARTING:
        return 'restarting';
    }
    if ((f & SUSPENDED) !== 0) return 'suspended';
    return (f & BUSY) !== 0 ? 'busy' : 'alive';
  }
}

function isUserMessage(m: unknown): boolean {
  return !(m instanceof Envelope);
}

/** @internal Flag for guardians, whose failures go to the root handler. */
export const GUARDIAN_FLAG = GUARDIAN | STARTED;
