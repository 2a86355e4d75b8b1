import {
  type ActorRef,
  type Behavior,
  type Listing,
  receive,
  type ReceptionistCommand,
  ServiceKey,
  setup,
} from '@troupe/core';
import { compareMembers, keyOf, type Member } from '../Member';
import type { MembersUpdate } from './clusterCore';
import { RECEPTIONIST_PATH, type Registry } from './protocol';
import type { Runtime } from './Runtime';

interface RemoteRegistry {
  readonly member: Member;
  readonly version: number;
  readonly entries: ReadonlyMap<string, readonly ActorRef<any>[]>;
}

/** @internal The receptionist's state, outside the actor so that a restart keeps every registration. */
export class ReceptionistState {
  /** This node's registrations: key id → services, in registration order. */
  readonly local = new Map<string, ActorRef<any>[]>();
  version = 0;
  /** Other members' registries, by member key. */
  readonly remote = new Map<string, RemoteRegistry>();
  readonly subscribers = new Map<string, Set<ActorRef<Listing<any>>>>();
  /** The key objects handed to us, so listings carry the caller's own key where there is one. */
  readonly keys = new Map<string, ServiceKey<any>>();
  /** What each key's subscribers were last told, to tell them only of changes. */
  readonly lastSent = new Map<string, string>();
  readonly watched = new Set<ActorRef<any>>();
  members: readonly Member[] = [];
}

export type ReceptionistMessage =
  | ReceptionistCommand
  | Registry
  | MembersUpdate
  | { readonly type: '$registry-tick' }
  | { readonly type: '$terminated'; readonly ref: ActorRef<any> };

const receives = (m: Member) => m.status === 'up' || m.status === 'leaving';

/**
 * @internal The cluster receptionist (`/system/cluster/receptionist`), with the command protocol of core's
 * receptionist. Each node owns its local registrations and sends the whole registry (small: key ids and refs)
 * to every up member when it changes and every `registryIntervalMs`, which also repairs lost messages and
 * reaches new members. A listing is the union of every member's services for the key, ordered by member
 * address; the entries of a removed member disappear with it.
 */
export function clusterReceptionist(rt: Runtime, state: ReceptionistState): Behavior<ReceptionistMessage> {
  return setup<ReceptionistMessage>((ctx) => {
    const watch = (ref: ActorRef<any>) => {
      state.watched.add(ref);
      ctx.watchWith(ref, { type: '$terminated', ref });
    };
    // After a restart by the supervisor, the watches are gone with the old incarnation of this actor.
    for (const ref of state.watched) ctx.watchWith(ref, { type: '$terminated', ref });

    const keyFor = (id: string) => {
      let key = state.keys.get(id);
      if (!key) state.keys.set(id, (key = new ServiceKey<any>(id)));
      return key;
    };

    const listing = (id: string): Listing<any> => {
      const byNode: [Member | undefined, readonly ActorRef<any>[]][] = [
        [undefined, state.local.get(id) ?? []],
      ];
      for (const r of state.remote.values()) {
        const refs = r.entries.get(id);
        if (refs) byNode.push([r.member, refs]);
      }
      const selfOrder = (m: Member | undefined) =>
        m ?? { address: rt.selfAddress, incarnation: rt.incarnation, status: 'up' as const, upNumber: 0 };
      byNode.sort(([a], [b]) => compareMembers(selfOrder(a), selfOrder(b)));
      const seen = new Set<string>();
      const services: ActorRef<any>[] = [];
      for (const [, refs] of byNode)
        for (const ref of refs) {
          const s = String(ref);
          if (seen.has(s)) continue;
          seen.add(s);
          services.push(ref);
        }
      return { key: keyFor(id), services };
    };

    const signature = (l: Listing<any>) => l.services.map(String).join('\n');

    const notify = (id: string) => {
      const l = listing(id);
      const sig = signature(l);
      if (state.lastSent.get(id) === sig) return;
      state.lastSent.set(id, sig);
      for (const s of state.subscribers.get(id) ?? []) s.tell(l);
    };

    const registry = (): Registry => ({
      type: 'troupe/cluster.registry',
      from: rt.selfAddress,
      incarnation: rt.incarnation,
      version: state.version,
      entries: [...state.local].filter(([, refs]) => refs.length > 0).map(([key, refs]) => ({ key, refs })),
    });

    const sendTo = (members: Iterable<Member>) => {
      const r = registry();
      for (const m of members)
        if (keyOf(m) !== rt.selfKey) rt.remote<Registry>(m.address, RECEPTIONIST_PATH).tell(r);
    };
    const broadcast = () => sendTo(state.members.filter(receives));

    const localChanged = (id: string) => {
      state.version++;
      broadcast();
      notify(id);
    };

    ctx.timers.startTimerWithFixedDelay(
      'registry',
      { type: '$registry-tick' },
      rt.settings.registryIntervalMs,
    );

    return receive<ReceptionistMessage>((_ctx, msg) => {
      switch (msg.type) {
        case 'register': {
          state.keys.set(msg.key.id, msg.key);
          let refs = state.local.get(msg.key.id);
          if (!refs) state.local.set(msg.key.id, (refs = []));
          const added = !refs.includes(msg.service);
          if (added) {
            refs.push(msg.service);
            watch(msg.service);
          }
          msg.replyTo?.tell({ key: msg.key, service: msg.service });
          if (added) localChanged(msg.key.id);
          return;
        }
        case 'deregister': {
          const refs = state.local.get(msg.key.id);
          const i = refs?.indexOf(msg.service) ?? -1;
          if (i >= 0) refs!.splice(i, 1);
          msg.replyTo?.tell({ key: msg.key, service: msg.service });
          if (i >= 0) localChanged(msg.key.id);
          return;
        }
        case 'find':
          state.keys.set(msg.key.id, state.keys.get(msg.key.id) ?? msg.key);
          msg.replyTo.tell(listing(msg.key.id));
          return;
        case 'subscribe': {
          state.keys.set(msg.key.id, state.keys.get(msg.key.id) ?? msg.key);
          let subs = state.subscribers.get(msg.key.id);
          if (!subs) state.subscribers.set(msg.key.id, (subs = new Set()));
          subs.add(msg.subscriber);
          watch(msg.subscriber);
          const l = listing(msg.key.id);
          state.lastSent.set(msg.key.id, signature(l));
          msg.subscriber.tell(l);
          return;
        }
        case 'unsubscribe':
          state.subscribers.get(msg.key.id)?.delete(msg.subscriber);
          return;
        case '$terminated': {
          state.watched.delete(msg.ref);
          for (const subs of state.subscribers.values()) subs.delete(msg.ref);
          for (const [id, refs] of state.local) {
            const i = refs.indexOf(msg.ref);
            if (i < 0) continue;
            refs.splice(i, 1);
            localChanged(id);
          }
          return;
        }
        case '$registry-tick':
          broadcast();
          return;
        case '$members': {
          const before = new Set(state.members.filter(receives).map(keyOf));
          state.members = msg.members;
          const current = new Map(msg.members.map((m) => [keyOf(m), m]));
          for (const [k, r] of [...state.remote]) {
            if (current.has(k)) continue;
            state.remote.delete(k);
            for (const id of r.entries.keys()) notify(id);
          }
          // A member that just came up gets our registry now rather than at the next tick.
          sendTo(msg.members.filter((m) => receives(m) && !before.has(keyOf(m))));
          return;
        }
        case 'troupe/cluster.registry': {
          rt.heard(msg.from, msg.incarnation);
          const k = `${msg.from} ${msg.incarnation}`;
          const member = state.members.find((m) => keyOf(m) === k);
          // Not a member (yet, or any more): its registry will come again, with the gossip, once it is one.
          if (!member || k === rt.selfKey) return;
          const old = state.remote.get(k);
          if (old && old.version >= msg.version) return;
          const entries = new Map<string, readonly ActorRef<any>[]>();
          for (const e of msg.entries) entries.set(e.key, [...(entries.get(e.key) ?? []), ...e.refs]);
          state.remote.set(k, { member, version: msg.version, entries });
          for (const id of new Set([...(old?.entries.keys() ?? []), ...entries.keys()])) notify(id);
          return;
        }
      }
    });
  });
}
