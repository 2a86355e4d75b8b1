import type { ActorRef } from './ActorRef';
import { type Behavior, receive, setup, unhandled } from './Behavior';

/**
 * A typed name under which actors offer a service. Two keys with the same id are the same key.
 *
 * @example
 * ```ts
 * const PingService = new ServiceKey<Ping>('ping');
 * system.receptionist.tell(Receptionist.register(PingService, pinger));
 * ```
 */
export class ServiceKey<M> {
  /** @internal Phantom: keeps `M` in the type, invariantly. */
  declare readonly _service?: (m: M) => M;
  constructor(readonly id: string) {}
  toString(): string {
    return `ServiceKey(${this.id})`;
  }
}

/** The actors registered under a key, in registration order. */
export interface Listing<M> {
  readonly key: ServiceKey<M>;
  readonly services: ReadonlyArray<ActorRef<M>>;
}

export interface Registered<M> {
  readonly key: ServiceKey<M>;
  readonly service: ActorRef<M>;
}

export type ReceptionistCommand =
  | {
      readonly type: 'register';
      readonly key: ServiceKey<any>;
      readonly service: ActorRef<any>;
      readonly replyTo?: ActorRef<Registered<any>>;
    }
  | {
      readonly type: 'deregister';
      readonly key: ServiceKey<any>;
      readonly service: ActorRef<any>;
      readonly replyTo?: ActorRef<Registered<any>>;
    }
  | { readonly type: 'find'; readonly key: ServiceKey<any>; readonly replyTo: ActorRef<Listing<any>> }
  | { readonly type: 'subscribe'; readonly key: ServiceKey<any>; readonly subscriber: ActorRef<Listing<any>> }
  | {
      readonly type: 'unsubscribe';
      readonly key: ServiceKey<any>;
      readonly subscriber: ActorRef<Listing<any>>;
    };

/**
 * With a reply-to, the find command; without, a builder for `ask` that lets it infer the listing's type.
 *
 * @example
 * ```ts
 * const listing = await ask(system.receptionist, Receptionist.find(PingService)); // Listing<Ping>
 * ```
 */
function find<M>(key: ServiceKey<M>): (replyTo: ActorRef<Listing<M>>) => ReceptionistCommand;
function find<M>(key: ServiceKey<M>, replyTo: ActorRef<Listing<M>>): ReceptionistCommand;
function find<M>(
  key: ServiceKey<M>,
  replyTo?: ActorRef<Listing<M>>,
): ReceptionistCommand | ((replyTo: ActorRef<Listing<M>>) => ReceptionistCommand) {
  if (replyTo === undefined) return (r) => ({ type: 'find', key, replyTo: r });
  return { type: 'find', key, replyTo };
}

/**
 * Builders for receptionist commands, typed so that a key and its actors agree.
 *
 * @example
 * ```ts
 * system.receptionist.tell(Receptionist.register(PingService, pinger));
 * const { services } = await ask(system.receptionist, Receptionist.find(PingService));
 * ctx.system.receptionist.tell(Receptionist.subscribe(PingService, ctx.self)); // Listing on every change
 * ```
 */
export const Receptionist = {
  register<M>(
    key: ServiceKey<M>,
    service: ActorRef<M>,
    replyTo?: ActorRef<Registered<M>>,
  ): ReceptionistCommand {
    return { type: 'register', key, service, replyTo };
  },
  deregister<M>(
    key: ServiceKey<M>,
    service: ActorRef<M>,
    replyTo?: ActorRef<Registered<M>>,
  ): ReceptionistCommand {
    return { type: 'deregister', key, service, replyTo };
  },
  find,
  /** The subscriber gets the current listing at once, then a new one at every change. */
  subscribe<M>(key: ServiceKey<M>, subscriber: ActorRef<Listing<M>>): ReceptionistCommand {
    return { type: 'subscribe', key, subscriber };
  },
  unsubscribe<M>(key: ServiceKey<M>, subscriber: ActorRef<Listing<M>>): ReceptionistCommand {
    return { type: 'unsubscribe', key, subscriber };
  },
};

type Internal = ReceptionistCommand | { readonly type: '$terminated'; readonly ref: ActorRef<any> };

/**
 * @internal The local receptionist: an ordinary actor. Registered services and subscribers are watched, so a
 * dead one disappears from every listing.
 */
export function localReceptionist(): Behavior<Internal> {
  return setup<Internal>((ctx) => {
    const services = new Map<string, { key: ServiceKey<any>; refs: Set<ActorRef<any>> }>();
    const subscribers = new Map<string, Set<ActorRef<Listing<any>>>>();
    const watched = new Set<ActorRef<any>>();

    const entry = (key: ServiceKey<any>) => {
      let e = services.get(key.id);
      if (!e) services.set(key.id, (e = { key, refs: new Set() }));
      return e;
    };
    const listing = (key: ServiceKey<any>): Listing<any> => ({
      key,
      services: [...(services.get(key.id)?.refs ?? [])],
    });
    const notify = (key: ServiceKey<any>) => {
      const subs = subscribers.get(key.id);
      if (!subs || subs.size === 0) return;
      const l = listing(key);
      for (const s of subs) s.tell(l);
    };
    const watch = (ref: ActorRef<any>) => {
      if (watched.has(ref)) return;
      watched.add(ref);
      ctx.watchWith(ref, { type: '$terminated', ref });
    };

    return receive<Internal>((_ctx, msg) => {
      // Commands can come from anywhere (remoting, buggy callers): what is not one is unhandled, never a crash.
      if (!isCommand(msg)) return unhandled();
      switch (msg.type) {
        case 'register': {
          const e = entry(msg.key);
          const added = !e.refs.has(msg.service);
          e.refs.add(msg.service);
          watch(msg.service);
          msg.replyTo?.tell({ key: msg.key, service: msg.service });
          if (added) notify(msg.key);
          return;
        }
        case 'deregister': {
          const removed = services.get(msg.key.id)?.refs.delete(msg.service) ?? false;
          msg.replyTo?.tell({ key: msg.key, service: msg.service });
          if (removed) notify(msg.key);
          return;
        }
        case 'find':
          msg.replyTo.tell(listing(msg.key));
          return;
        case 'subscribe': {
          let subs = subscribers.get(msg.key.id);
          if (!subs) subscribers.set(msg.key.id, (subs = new Set()));
          subs.add(msg.subscriber);
          watch(msg.subscriber);
          msg.subscriber.tell(listing(msg.key));
          return;
        }
        case 'unsubscribe':
          subscribers.get(msg.key.id)?.delete(msg.subscriber);
          return;
        case '$terminated': {
          watched.delete(msg.ref);
          for (const subs of subscribers.values()) subs.delete(msg.ref);
          for (const e of services.values()) if (e.refs.delete(msg.ref)) notify(e.key);
          return;
        }
      }
    });
  });
}

const COMMANDS = new Set(['register', 'deregister', 'find', 'subscribe', 'unsubscribe', '$terminated']);

function isCommand(msg: unknown): msg is Internal {
  if (msg === null || typeof msg !== 'object') return false;
  const m = msg as Record<string, unknown>;
  if (typeof m.type !== 'string' || !COMMANDS.has(m.type)) return false;
  if (m.type === '$terminated') return isRef(m.ref);
  const key = m.key as { id?: unknown } | undefined;
  if (!key || typeof key.id !== 'string') return false;
  switch (m.type) {
    case 'register':
    case 'deregister':
      return isRef(m.service) && (m.replyTo === undefined || isRef(m.replyTo));
    case 'find':
      return isRef(m.replyTo);
    default:
      return isRef(m.subscriber);
  }
}

function isRef(v: unknown): boolean {
  return v !== null && typeof v === 'object' && typeof (v as { tell?: unknown }).tell === 'function';
}
