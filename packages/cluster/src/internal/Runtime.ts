import type { ActorRef } from '@troupe/core';
import type { RemoteNode } from '@troupe/remote';
import type { ClusterEvent, ClusterState } from '../ClusterEvent';
import type { ClusterSettings } from '../ClusterSettings';
import { uniqueKey } from '../Member';
import { EMPTY_GOSSIP, type Gossip } from './Gossip';
import { EMPTY_VIEW, stateOf, type View } from './events';

/** @internal The core actor's state, kept outside the actor so that a restart by its supervisor loses nothing. */
export class CoreState {
  gossip: Gossip = EMPTY_GOSSIP;
  joined = false;
  /** Removed, downed, or left: no longer part of the cluster, shutting down. */
  gone = false;
  view: View = EMPTY_VIEW;
  readonly nacks = new Set<string>();
  /** Last time membership or reachability changed, for downing's stable-after. */
  lastChangeAt = 0;
  lastTickAt = 0;
  signature = '';
  selfRemovedPublished = false;
  readonly leaveWaiters: (() => void)[] = [];
}

/**
 * @internal What the cluster's actors and its facade share: the node, the settings, the listeners, and the
 * actors' states. Only the actors change the states; the facade only reads the published snapshot.
 */
export class Runtime {
  readonly selfAddress: string;
  readonly incarnation: string;
  readonly selfKey: string;
  readonly core = new CoreState();
  state: ClusterState;
  /**
   * When this node last received anything (gossip, heartbeat, answer, registry) from each member, by member key:
   * direct evidence that it is alive and reachable from here, whatever another observer says.
   */
  readonly lastHeard = new Map<string, number>();
  private readonly listeners = new Set<(event: ClusterEvent) => void>();
  private readonly refs = new Map<string, ActorRef<any>>();

  constructor(
    readonly node: RemoteNode,
    readonly settings: ClusterSettings,
    readonly seeds: readonly string[],
  ) {
    this.selfAddress = node.address;
    this.incarnation = node.incarnation;
    this.selfKey = uniqueKey(node.address, node.incarnation);
    this.state = stateOf(EMPTY_VIEW, this.selfKey, this.selfAddress, false);
  }

  /** A ref to one of the cluster's actors on the node at `address` (whichever incarnation is there). */
  remote<M>(address: string, path: string): ActorRef<M> {
    const full = address + path;
    let ref = this.refs.get(full);
    if (!ref) {
      ref = this.node.refFor<M>(full);
      this.refs.set(full, ref);
    }
    return ref as ActorRef<M>;
  }

  heard(address: string, incarnation: string): void {
    this.lastHeard.set(uniqueKey(address, incarnation), this.node.system.clock.now());
  }

  forget(address: string): void {
    for (const k of [...this.refs.keys()]) if (k.startsWith(address + '/')) this.refs.delete(k);
  }

  subscribe(listener: (event: ClusterEvent) => void): () => void {
    const l = (e: ClusterEvent) => listener(e);
    this.listeners.add(l);
    this.deliver(l, { type: 'current-state', state: this.state });
    return () => {
      this.listeners.delete(l);
    };
  }

  publish(events: readonly ClusterEvent[]): void {
    for (const e of events) for (const l of [...this.listeners]) this.deliver(l, e);
  }

  private deliver(l: (event: ClusterEvent) => void, e: ClusterEvent): void {
    try {
      l(e);
    } catch (error) {
      // A broken subscriber must not break the cluster's actors, which call it.
      this.node.system.log.error('a cluster event listener threw', error);
    }
  }
}
