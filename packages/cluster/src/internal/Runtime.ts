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
  /**
   * Nodes this one turned away (`InitJoinNack`) while it was not a member yet: they are told `InitJoinAck` the
   * moment it becomes one, rather than waiting for their next retry. Bounded, as anyone can send an InitJoin.
   */
  readonly turnedAway = new Set<string>();
  /** InitJoin rounds sent since a seed last answered as a member (or since the seed timeout was armed). */
  initJoinsUnanswered = 0;
  /** Last time membership or reachability changed, for downing's stable-after. */
  lastChangeAt = 0;
  lastTickAt = 0;
  /** This node's own clock entry when it last pushed its own change to every member. */
  pushedVersion = 0;
  pushedAt = -Infinity;
  /** Members and statuses in the view last pushed (see `membersOf`): a change to them is pushed at once. */
  pushedMembers = '';
  /** A `$push-now` is in the mailbox. */
  pushQueued = false;
  /** The version (see `versionOf`) the leader last announced as converged to every member. */
  announcedVersion = '';
  /** When the pending downing timer is due. */
  downingDueAt = 0;
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
  /** Refs to the cluster's actors on other nodes, by node address, then path. */
  private readonly refs = new Map<string, Map<string, ActorRef<any>>>();

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
    let paths = this.refs.get(address);
    if (!paths) this.refs.set(address, (paths = new Map()));
    let ref = paths.get(path);
    if (!ref) {
      ref = this.node.refFor<M>(address + path);
      paths.set(path, ref);
    }
    return ref as ActorRef<M>;
  }

  heard(address: string, incarnation: string): void {
    this.lastHeard.set(uniqueKey(address, incarnation), this.node.system.clock.now());
  }

  forget(address: string): void {
    this.refs.delete(address);
  }

  /**
   * Forgets nodes that are not members: refs to their actors, and when they were last heard from (unless within
   * `keepHeardAfter`, as for a node that is joining). Both are filled by whoever writes to this node (a join that
   * never completes, heartbeats of a node restarted elsewhere, a farewell to a removed member), and would
   * otherwise grow with every such node for as long as this one runs.
   */
  forgetStrangers(members: ReadonlyMap<string, { readonly address: string }>, keepHeardAfter: number): void {
    const addresses = new Set([...members.values()].map((m) => m.address));
    for (const address of [...this.refs.keys()]) if (!addresses.has(address)) this.refs.delete(address);
    for (const [k, at] of [...this.lastHeard])
      if (!members.has(k) && at < keepHeardAfter) this.lastHeard.delete(k);
  }

  /** @internal For tests: whether this runtime still holds a ref to, or a last-heard time of, the node at `address`. */
  remembers(address: string): boolean {
    return this.refs.has(address) || [...this.lastHeard.keys()].some((k) => k.startsWith(address + ' '));
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
