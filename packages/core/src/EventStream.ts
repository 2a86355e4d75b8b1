import type { ActorRef } from './ActorRef';
import type { Directive, StrategyKind } from './SupervisorStrategy';

/** Why a message could not be delivered. */
export type DeadLetterReason =
  | 'recipient-terminated'
  | 'mailbox-full'
  | 'dropped-oldest'
  | 'stash-discarded'
  | 'ask-already-completed'
  | 'system-terminated'
  | 'explicit'
  // Remoting's reasons: the message could not leave, or could not be delivered once it arrived.
  | 'unserializable'
  | 'too-large'
  | 'backpressure'
  | 'peer-unreachable'
  | 'wrong-incarnation'
  | 'unknown-recipient'
  | 'malformed';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

interface EventBase {
  /** The system clock's time when the event was published. */
  readonly timestamp: number;
}

export interface ActorSpawnedEvent extends EventBase {
  readonly type: 'actor-spawned';
  readonly ref: ActorRef<never>;
}
export interface ActorStoppedEvent extends EventBase {
  readonly type: 'actor-stopped';
  readonly ref: ActorRef<never>;
}
export interface ActorFailedEvent extends EventBase {
  readonly type: 'actor-failed';
  readonly ref: ActorRef<never>;
  readonly error: unknown;
}
export interface ActorRestartedEvent extends EventBase {
  readonly type: 'actor-restarted';
  readonly ref: ActorRef<never>;
  readonly error: unknown;
}
/** A supervisor's decision about a failed (or, for permanent children, stopped) child. */
export interface SupervisionEvent extends EventBase {
  readonly type: 'supervision';
  readonly supervisor: ActorRef<never>;
  readonly child: ActorRef<never>;
  readonly error: unknown;
  readonly directive: Directive;
  readonly strategy: StrategyKind;
  /** For a delayed restart, the backoff delay. */
  readonly delayMs?: number;
}
export interface DeadLetterEvent extends EventBase {
  readonly type: 'dead-letter';
  readonly recipient: string;
  readonly message: unknown;
  readonly reason: DeadLetterReason;
}
export interface UnhandledMessageEvent extends EventBase {
  readonly type: 'unhandled';
  readonly recipient: ActorRef<never>;
  readonly message: unknown;
}
export interface LogEvent extends EventBase {
  readonly type: 'log';
  readonly level: LogLevel;
  readonly source: string;
  readonly message: string;
  readonly data?: unknown;
}
/** A failure reached a guardian: nobody above can handle it. */
export interface RootFailureEvent extends EventBase {
  readonly type: 'root-failure';
  readonly guardian: string;
  readonly child: ActorRef<never>;
  readonly error: unknown;
}

/** Everything the actor system publishes. */
export type SystemEvent =
  | ActorSpawnedEvent
  | ActorStoppedEvent
  | ActorFailedEvent
  | ActorRestartedEvent
  | SupervisionEvent
  | DeadLetterEvent
  | UnhandledMessageEvent
  | LogEvent
  | RootFailureEvent;

export type SystemEventType = SystemEvent['type'];
export type EventOf<T extends SystemEventType | '*'> = T extends '*'
  ? SystemEvent
  : Extract<SystemEvent, { type: T }>;

/** One subscription; the same function subscribed twice is two subscriptions. */
type Listener = { readonly fn: (event: SystemEvent) => void };

/**
 * The system's publish/subscribe bus for lifecycle, supervision, dead-letter and log events. Publishing to a
 * type nobody listens to costs one map lookup, so the hot paths check {@link EventStream.wants} first.
 *
 * @example
 * ```ts
 * const off = system.events.subscribe('dead-letter', (e) => console.log(e.recipient, e.reason));
 * off(); // unsubscribe
 * ```
 */
export class EventStream {
  private readonly byType = new Map<string, Set<Listener>>();
  /** Listeners per type, plus '*': read on every spawn and dead letter, so a plain object, not the map. */
  private readonly counts: Record<string, number> = Object.create(null);
  private all = 0;

  /** Calls `listener` for every event of `type` (or of every type, with `'*'`). Returns the unsubscribe function. */
  subscribe<T extends SystemEventType | '*'>(type: T, listener: (event: EventOf<T>) => void): () => void {
    let set = this.byType.get(type);
    if (!set) this.byType.set(type, (set = new Set()));
    const l: Listener = { fn: listener as (event: SystemEvent) => void };
    set.add(l);
    this.counts[type] = (this.counts[type] ?? 0) + 1;
    if (type === '*') this.all++;
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      set.delete(l);
      this.counts[type]--;
      if (type === '*') this.all--;
    };
  }

  /** Whether anyone listens to `type`; lets publishers skip building events nobody reads. */
  wants(type: SystemEventType): boolean {
    return this.all > 0 || this.counts[type] > 0;
  }

  publish(event: SystemEvent): void {
    this.deliver(this.byType.get(event.type), event);
    if (this.all > 0) this.deliver(this.byType.get('*'), event);
  }

  private deliver(set: Set<Listener> | undefined, event: SystemEvent): void {
    if (!set || set.size === 0) return;
    for (const listener of set) {
      try {
        listener.fn(event);
      } catch (e) {
        // A broken subscriber must not break the publisher (often the dispatcher); it is reported, not hidden.
        console.error('troupe: event stream subscriber threw', e);
      }
    }
  }
}
