import {
  type ActorRef,
  type ActorSystem,
  type Behavior,
  ignore,
  type ReceptionistCommand,
  type SpawnOptions,
  SupervisorStrategy,
} from '@troupe/core';
import { parseAddress, type RemoteNode } from '@troupe/remote';
import {
  ClusterAlreadyStartedError,
  ClusterInternalError,
  ClusterStoppedError,
  InvalidMemberAddressError,
  InvalidSeedError,
} from './ClusterError';
import type { ClusterEvent, ClusterState } from './ClusterEvent';
import { ClusterSettings } from './ClusterSettings';
import { clusterCore, type CoreMessage, type MembersUpdate } from './internal/clusterCore';
import { clusterReceptionist, ReceptionistState } from './internal/clusterReceptionist';
import { heartbeatActor, HeartbeatState } from './internal/heartbeat';
import { isNodeAddress, registerClusterProtocol } from './internal/protocol';
import { Runtime } from './internal/Runtime';

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /**
   * Node addresses (`troupe://<system>@<host:port>`) to join through, tried in parallel and again until one
   * answers; any of them may be down. The node listed first forms a new cluster when no other seed has answered
   * as a member for `seedTimeoutMs` (or all answer that they are not members); while one does, it keeps joining,
   * however long that takes. Every other node only joins. Give every node the same list. An empty list (or only
   * this node) forms a cluster of one at once.
   */
  readonly seeds: readonly string[];
  /** Timings and the downing strategy, over {@link ClusterSettings.defaults}. */
  readonly settings?: Partial<ClusterSettings>;
}

/**
 * This node's handle on the cluster.
 *
 * @example
 * ```ts
 * const cluster = startCluster(node, { seeds: ['troupe://shop@10.0.0.1:4711', 'troupe://shop@10.0.0.2:4711'] });
 * const off = cluster.subscribe((e) => {
 *   if (e.type === 'member-up') console.log(`${e.member.address} is up`);
 * });
 * cluster.receptionist.tell(Receptionist.register(CartKey, cartRef));
 * await cluster.leave(); // graceful: leaving → exiting → removed, then the node shuts down
 * ```
 */
export interface Cluster {
  /** This node's address. */
  readonly selfAddress: string;
  /** This node's incarnation (its remoting incarnation). */
  readonly incarnation: string;
  readonly settings: ClusterSettings;
  /** The cluster as this node sees it now. */
  state(): ClusterState;
  /**
   * Calls `listener` with a `current-state` event at once, then with every change. Returns the unsubscribe
   * function. Listeners run inside the cluster's actor: keep them short and never block.
   *
   * @example
   * ```ts
   * const off = cluster.subscribe((e) => { if (e.type === 'unreachable') alert(e.member.address); });
   * ```
   */
  subscribe(listener: (event: ClusterEvent) => void): () => void;
  /**
   * Leaves gracefully: this member goes leaving → exiting → removed (the leader moves it once everyone has seen
   * each step), then the node shuts itself down. Resolves when removed (at once if the node had not joined
   * yet); rejects with `ClusterStoppedError` if the node stops otherwise first.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => void cluster.leave());
   * ```
   */
  leave(): Promise<void>;
  /**
   * Marks the member(s) at `address` down: the leader removes them without waiting for their agreement. Downing
   * this node's own address shuts it down. Use it for a node known to be dead, or with the `none` strategy.
   * Throws `InvalidMemberAddressError` for a string that is not a node address; an unknown address is ignored.
   *
   * @example
   * ```ts
   * cluster.down('troupe://shop@10.0.0.7:4711');
   * ```
   */
  down(address: string): void;
  /**
   * The cluster-wide receptionist: core's receptionist commands (`Receptionist.register/find/subscribe/...`),
   * with listings that span every member. Registrations stay on this node and disappear with it.
   */
  readonly receptionist: ActorRef<ReceptionistCommand>;
  /** Resolves when the node has stopped (after leaving, being downed, or `node.shutdown()`). */
  readonly whenStopped: Promise<void>;
}

const running = new WeakSet<ActorSystem>();

/**
 * Makes `node` a member of a cluster: starts the cluster's actors under `/system/cluster` and joins through the
 * seeds. Returns at once; watch `subscribe` or `state()` for the node to be up.
 *
 * Throws `InvalidSeedError` for a seed that is not a node address of this node's actor system,
 * `InvalidClusterSettingsError` for a bad setting, and `ClusterAlreadyStartedError` when called twice.
 *
 * @example
 * ```ts
 * const node = await createNode({ name: 'shop', transport: new WebSocketTransport({ port: 4711, secret }) });
 * const cluster = startCluster(node, {
 *   seeds: ['troupe://shop@10.0.0.1:4711', 'troupe://shop@10.0.0.2:4711'],
 *   settings: { stableAfterMs: 10_000 },
 * });
 * ```
 */
export function startCluster(node: RemoteNode, options: ClusterOptions): Cluster {
  const seeds: string[] = [];
  for (const seed of options?.seeds ?? []) {
    if (!isNodeAddress(seed))
      throw new InvalidSeedError(String(seed), 'not a node address (troupe://system@host:port)');
    if (parseAddress(seed).system !== node.system.name)
      throw new InvalidSeedError(seed, `this node belongs to actor system ${node.system.name}`);
    if (!seeds.includes(seed)) seeds.push(seed);
  }
  const settings = ClusterSettings.defaults(options?.settings ?? {});
  if (running.has(node.system)) throw new ClusterAlreadyStartedError(node.address);
  running.add(node.system);
  registerClusterProtocol(node.serialization);
  // The cluster's actors are addressed by other members; remoting keeps /system private unless exposed.
  node.expose('/system/cluster/');

  const rt = new Runtime(node, settings, seeds);
  const heartbeatState = new HeartbeatState();
  const receptionistState = new ReceptionistState();
  const refs: {
    core?: ActorRef<CoreMessage>;
    heartbeat?: ActorRef<MembersUpdate>;
    receptionist?: ActorRef<MembersUpdate>;
  } = {};
  const notify = (update: MembersUpdate) => {
    refs.heartbeat?.tell(update);
    refs.receptionist?.tell(update);
  };

  // One supervisor for the three actors; their state lives outside them (in `rt` and the states above), so a
  // restart after a bug resumes where it was. Ten failures within a minute escalate and stop the node.
  const supervisor = spawnSystemActor(node.system, ignore(), {
    name: 'cluster',
    supervisorStrategy: SupervisorStrategy.oneForOne().withLimit(10, 60_000),
  });
  const core = supervisor.spawn(clusterCore(rt, notify), 'core');
  refs.core = core;
  refs.heartbeat = supervisor.spawn(
    heartbeatActor(rt, heartbeatState, () => core),
    'heartbeat',
  );
  const receptionist = supervisor.spawn(clusterReceptionist(rt, receptionistState), 'receptionist');
  refs.receptionist = receptionist;

  return new ClusterImpl(rt, core, receptionist);
}

class ClusterImpl implements Cluster {
  readonly whenStopped: Promise<void>;
  constructor(
    private readonly rt: Runtime,
    private readonly core: ActorRef<CoreMessage>,
    readonly receptionist: ActorRef<ReceptionistCommand>,
  ) {
    this.whenStopped = rt.node.system.whenTerminated;
  }
  get selfAddress(): string {
    return this.rt.selfAddress;
  }
  get incarnation(): string {
    return this.rt.incarnation;
  }
  get settings(): ClusterSettings {
    return this.rt.settings;
  }
  state(): ClusterState {
    return this.rt.state;
  }
  subscribe(listener: (event: ClusterEvent) => void): () => void {
    return this.rt.subscribe(listener);
  }
  leave(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.rt.core.gone) return resolve();
      if (this.rt.node.system.isTerminated) return reject(new ClusterStoppedError(this.rt.selfAddress));
      this.core.tell({ type: '$leave', done: resolve });
      void this.whenStopped.then(() => reject(new ClusterStoppedError(this.rt.selfAddress)));
    });
  }
  down(address: string): void {
    if (!isNodeAddress(address)) throw new InvalidMemberAddressError(String(address));
    this.core.tell({ type: '$down', address });
  }
}

interface Spawner {
  spawn<C>(behavior: Behavior<C>, options?: SpawnOptions | string): ActorRef<C>;
}

/**
 * Starts an actor under `/system`. Core has no public call for it (only its own receptionist lives there), but
 * the `/system` guardian is an actor like any other and takes `spawn` exactly as `system.spawn` hands it to the
 * `/user` guardian. The returned supervisor's `spawn` is used the same way, so that every ref exists before
 * `startCluster` returns.
 */
function spawnSystemActor(
  system: ActorSystem,
  behavior: Behavior<never>,
  options: SpawnOptions,
): ActorRef<never> & Spawner {
  // The supervisor's behaviour ignores everything; its children are spawned through its context, which the
  // system hands back as the ref of an actor started under /system.
  const ref = system.systemActorOf(behavior, options) as unknown as ActorRef<never> & Partial<Spawner>;
  if (typeof ref.spawn !== 'function')
    throw new ClusterInternalError('the cluster supervisor cannot spawn children');
  return ref as ActorRef<never> & Spawner;
}
