import type { ActorRef } from '@troupe/core';
import type { Cluster, ClusterState } from '@troupe/cluster';
import type { RemoteNode } from '@troupe/remote';
import { fromMachine } from '@troupe/xstate';
import { ElectionSettings } from './ElectionSettings';
import { type ElectionStorage, memoryStorage } from './ElectionStorage';
import { InvalidVotersError } from './LeaderElectionError';
import {
  type ElectionEvent,
  isNodeAddress,
  type RaftMessage,
  registerElectionProtocol,
} from './internal/protocol';
import { createRoleMachine, type RaftContext } from './internal/roleMachine';

/** A node's role in the election. A node asking for pre-votes is shown as `candidate`. */
export type Role = 'follower' | 'candidate' | 'leader';

/** What a subscriber hears: the leader this node believes in (if any), its term and its own role. */
export interface LeaderChange {
  readonly leader?: string;
  readonly term: number;
  readonly role: Role;
}

/** A lease this node holds as leader: valid for `validForMs` from now, on this node's clock. */
export interface LeaseGrant {
  readonly term: number;
  readonly validForMs: number;
}

/** Options of {@link startLeaderElection}. */
export interface LeaderElectionOptions {
  /** The voters are the cluster's members (all but downed and removed ones, reachable or not). */
  readonly cluster?: Cluster;
  /** A fixed voter set (node addresses, this node's included), for tests and simulations without a cluster. */
  readonly voters?: readonly string[];
  readonly settings?: Partial<ElectionSettings>;
  /** Where the term and vote are kept. Default: in memory (see {@link ElectionStorage}). */
  readonly storage?: ElectionStorage;
  /** Name of the election actor under `/user`, the same on every node. Default `leader-election`. */
  readonly name?: string;
  /** Called each time this node, as leader, gains or extends its lease. */
  readonly onLease?: (lease: LeaseGrant) => void;
  /**
   * The fewest votes a candidate needs (and acknowledgements a lease needs), whatever the voter set: a majority of
   * the voters this node sees, and at least this many. With a cluster, set it above half the largest number of
   * nodes that will ever run: then two parts of a cluster that split (or two clusters formed by restarted seeds)
   * can never both elect a leader, whatever their views say, as with static-quorum downing. Default 1.
   */
  readonly minQuorum?: number;
}

/** One node's side of a leader election. */
export interface LeaderElection {
  /** This node's address. */
  readonly address: string;
  readonly node: RemoteNode;
  readonly settings: ElectionSettings;
  /** The leader as this node believes it (its node address), and the term it leads. */
  currentLeader(): { address: string; term: number } | undefined;
  isLeader(): boolean;
  role(): Role;
  term(): number;
  /** The term while this node is leader: pass it along with every write the leader makes, so stale leaders are fenced off. */
  fencingToken(): number | undefined;
  /** True while this node leads and a majority acknowledged a heartbeat recently enough (see `leaseMs`). */
  hasLease(): boolean;
  /** The voters this node counts now. */
  voters(): readonly string[];
  /** Calls `listener` at once with the current state, then at every change of leader, term or role. */
  subscribe(listener: (change: LeaderChange) => void): () => void;
  stop(): Promise<void>;
}

/**
 * Starts this node's part of a Raft-style leader election (terms, RequestVote with a majority, randomized
 * timeouts, heartbeats, pre-vote, check-quorum, leader leases). Every voter must run it, with the same name and
 * settings. Timers and randomness come from the node's actor system, so it runs unchanged under `simulate()`.
 * Throws `InvalidVotersError` or `InvalidElectionSettingsError` for bad options.
 *
 * @example
 * ```ts
 * const election = startLeaderElection(node, { cluster });
 * election.subscribe(({ leader, term, role }) => console.log(`term ${term}: ${role}, leader ${leader ?? '?'}`));
 * if (election.isLeader()) write(data, election.fencingToken());
 * ```
 */
export function startLeaderElection(node: RemoteNode, options: LeaderElectionOptions = {}): LeaderElection {
  const settings = ElectionSettings.defaults(options.settings ?? {});
  const name = options.name ?? 'leader-election';
  if (options.cluster && options.voters)
    throw new InvalidVotersError('give either a cluster or voters, not both');
  let initialVoters: string[];
  if (options.cluster) {
    initialVoters = votersOf(options.cluster.state());
  } else {
    if (!Array.isArray(options.voters) || options.voters.length === 0) {
      throw new InvalidVotersError('need a cluster or a non-empty list of node addresses');
    }
    for (const v of options.voters) {
      if (!isNodeAddress(v)) throw new InvalidVotersError(`${JSON.stringify(v)} is not a node address`);
    }
    initialVoters = [...new Set(options.voters)];
  }
  const minQuorum = options.minQuorum ?? 1;
  if (!Number.isSafeInteger(minQuorum) || minQuorum < 1) {
    throw new InvalidVotersError(`minQuorum must be an integer >= 1, got ${String(options.minQuorum)}`);
  }
  registerElectionProtocol(node.serialization);
  return new LeaderElectionImpl(node, settings, name, initialVoters, options);
}

/** The voters a cluster view gives: every member not downed or removed, reachable or not. */
export function votersOf(state: ClusterState): string[] {
  // A restarted node may be there twice (the old incarnation not yet downed): it is one voter.
  const addresses = state.members
    .filter((m) => m.status !== 'down' && m.status !== 'removed')
    .map((m) => m.address);
  return [...new Set(addresses)].sort();
}

/** How often each node says hello to every other voter (see `Hello`). */
const HELLO_INTERVAL_MS = 2000;

class LeaderElectionImpl implements LeaderElection {
  readonly address: string;
  private context: RaftContext | undefined;
  private readonly listeners = new Set<(change: LeaderChange) => void>();
  private last: LeaderChange;
  private readonly ref: ActorRef<ElectionEvent>;
  private unsubscribeCluster: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private helloTimer: unknown;

  constructor(
    readonly node: RemoteNode,
    readonly settings: ElectionSettings,
    private readonly name: string,
    initialVoters: readonly string[],
    options: LeaderElectionOptions,
  ) {
    this.address = node.address;
    const peers = new Map<string, ActorRef<RaftMessage>>();
    const refTo = (address: string): ActorRef<RaftMessage> => {
      let ref = peers.get(address);
      if (!ref) {
        ref = node.refFor<RaftMessage>(`${address}/user/${name}`);
        peers.set(address, ref);
      }
      return ref;
    };
    const storage = options.storage ?? memoryStorage();
    this.last = { term: storage.load()?.term ?? 0, role: 'follower' };
    let leaseUntil = 0;
    const behavior = fromMachine(
      (ctx) =>
        createRoleMachine({
          self: node.address,
          settings,
          voters: initialVoters,
          storage,
          minQuorum: options.minQuorum ?? 1,
          now: () => ctx.system.clock.now(),
          random: () => ctx.system.random.next(),
          send: (to, message) => refTo(to).tell(message),
        }),
      {
        onSnapshot: (snapshot, ctx) => {
          const c = snapshot.context;
          this.context = c;
          if (c.role === 'leader' && c.leaseUntil > leaseUntil && options.onLease) {
            options.onLease({ term: c.term, validForMs: c.leaseUntil - ctx.system.clock.now() });
          }
          leaseUntil = c.role === 'leader' ? c.leaseUntil : 0;
          this.publish();
        },
      },
    );
    this.ref = node.system.spawn(behavior, name) as ActorRef<ElectionEvent>;
    // Keep a connection to every voter warm (see Hello): on the system's clock, so it runs under simulate() too.
    const clock = node.system.clock;
    const hello = () => {
      if (this.stopping || node.system.isTerminated) return;
      for (const v of this.voters()) {
        if (v !== this.address)
          refTo(v).tell({ type: 'leader/hello', term: this.term(), from: this.address });
      }
      this.helloTimer = clock.setTimeout(hello, HELLO_INTERVAL_MS);
    };
    this.helloTimer = clock.setTimeout(hello, settings.heartbeatMs);
    if (options.cluster) {
      const cluster = options.cluster;
      let current = initialVoters.join(' ');
      this.unsubscribeCluster = cluster.subscribe(() => {
        const voters = votersOf(cluster.state());
        if (voters.join(' ') === current) return;
        current = voters.join(' ');
        this.ref.tell({ type: 'leader/set-voters', voters });
      });
    }
  }

  currentLeader(): { address: string; term: number } | undefined {
    const c = this.context;
    return c?.leader === undefined ? undefined : { address: c.leader, term: c.term };
  }

  isLeader(): boolean {
    return this.context?.role === 'leader';
  }

  role(): Role {
    const role = this.context?.role ?? 'follower';
    return role === 'pre-candidate' ? 'candidate' : role;
  }

  term(): number {
    return this.context?.term ?? this.last.term;
  }

  fencingToken(): number | undefined {
    return this.isLeader() ? this.context!.term : undefined;
  }

  hasLease(): boolean {
    const c = this.context;
    return c !== undefined && c.role === 'leader' && this.node.system.clock.now() < c.leaseUntil;
  }

  voters(): readonly string[] {
    return this.context?.voters ?? [];
  }

  subscribe(listener: (change: LeaderChange) => void): () => void {
    this.listeners.add(listener);
    listener(this.last);
    return () => this.listeners.delete(listener);
  }

  stop(): Promise<void> {
    if (!this.stopping) {
      this.unsubscribeCluster?.();
      this.node.system.clock.clearTimeout(this.helloTimer);
      const system = this.node.system;
      this.stopping = system.isTerminated
        ? Promise.resolve()
        : (system.stop(this.ref), system.whenStopped(this.ref));
    }
    return this.stopping;
  }

  private publish(): void {
    const change: LeaderChange = { leader: this.context?.leader, term: this.term(), role: this.role() };
    const last = this.last;
    if (change.leader === last.leader && change.term === last.term && change.role === last.role) return;
    this.last = change.leader === undefined ? { term: change.term, role: change.role } : change;
    for (const listener of [...this.listeners]) {
      try {
        listener(this.last);
      } catch (error) {
        this.node.system.log.error(`a leader-change listener of ${this.name} threw`, error);
      }
    }
  }
}
