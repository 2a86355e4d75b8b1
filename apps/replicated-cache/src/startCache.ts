import type { ActorRef } from '@troupe/core';
import type { Cluster, ClusterEvent } from '@troupe/cluster';
import { parseAddress, type RemoteNode } from '@troupe/remote';
import { ActorCacheClient, type CacheClient } from './CacheClient';
import { InvalidCacheSettingsError } from './CacheError';
import { CacheSettings } from './CacheSettings';
import { type CacheStats, StatsCounters } from './CacheStats';
import type { Entry } from './EntryStore';
import { HashRing } from './HashRing';
import { CACHE_ACTOR_NAME, cacheActor, type CacheMessage, type CacheShared } from './internal/CacheActor';
import { registerCacheProtocol } from './internal/protocol';

/** Options of {@link startCache}. */
export interface CacheOptions {
  /** Members come from the cluster: every `up` or `leaving` member is on the ring. */
  cluster?: Cluster;
  /** A fixed set of node addresses instead of a cluster (tests, simulations, static deployments). */
  members?: readonly string[];
  settings?: Partial<CacheSettings>;
}

/** One node of the cache. */
export interface CacheNode {
  /** A client whose coordinator is this node. */
  readonly client: CacheClient;
  readonly address: string;
  readonly settings: CacheSettings;
  /** This node's counters and sizes. */
  stats(): CacheStats;
  /** The entries this node's replica holds, tombstones included, least recently used first (for inspection). */
  entries(): Array<[string, Entry]>;
  /** The preference list of a key on this node's ring: its replicas, primary first. */
  replicasOf(key: string): string[];
  /** Stops this node's cache actor (the node itself stays up). */
  stop(): Promise<void>;
}

/**
 * Starts the cache on `node`: a coordinator for requests and a replica of the keys the hash ring gives this
 * node. Every node of the cache runs it with the same settings. Without `cluster` or `members` the node is a
 * cache of one.
 *
 * @example
 * ```ts
 * const node = await createNode({ name: 'cache', transport: new WebSocketTransport({ port: 4711, secret }) });
 * const cluster = startCluster(node, { seeds, settings: ClusterSettings.fast() });
 * const cache = startCache(node, { cluster });
 * await cache.client.put('greeting', 'hello', { consistency: 'quorum' });
 * const api = await startHttpApi(cache, { port: 8080 });
 * ```
 */
export function startCache(node: RemoteNode, options: CacheOptions = {}): CacheNode {
  const settings = CacheSettings.defaults(options.settings ?? {});
  if (options.cluster && options.members)
    throw new InvalidCacheSettingsError('give either cluster or members, not both');
  registerCacheProtocol(node.serialization);
  const shared: CacheShared = {
    counters: new StatsCounters(),
    store: undefined,
    ring: new HashRing([], 1),
    ready: false,
    hints: 0,
  };
  const initial = options.members ?? (options.cluster ? [] : [node.address]);
  const ref: ActorRef<CacheMessage> = node.system.spawn(
    cacheActor(node, settings, initial, shared),
    CACHE_ACTOR_NAME,
  );
  // What the failure detectors say decides which replicas a coordinator asks first (see `speculativeRetryMs`).
  const reachability = (transport: string, reachable: boolean, source: 'remote' | 'cluster'): void =>
    ref.tell({ type: 'cache/reachability', transport, reachable, source });
  const unsubscribers = [
    node.onEvent((e) => {
      if (e.type === 'peer-connected') reachability(e.peer, true, 'remote');
      else if (e.type === 'peer-disconnected' || e.type === 'peer-unreachable')
        reachability(e.peer, false, 'remote');
    }),
  ];
  if (options.cluster) {
    const cluster = options.cluster;
    const publish = (): void => {
      const members = cluster
        .state()
        .members.filter((m) => m.status === 'up' || m.status === 'leaving')
        .map((m) => m.address);
      ref.tell({ type: 'cache/members', members });
    };
    unsubscribers.push(
      cluster.subscribe((e: ClusterEvent) => {
        if (e.type === 'reachable' || e.type === 'unreachable') {
          const transport = parseAddress(e.member.address).transport;
          if (e.member.address !== node.address) reachability(transport, e.type === 'reachable', 'cluster');
        } else if (e.type !== 'leader-changed') publish();
      }),
    );
  }
  const client = new ActorCacheClient(() => ref, settings);
  let stopping: Promise<void> | undefined;
  return {
    client,
    address: node.address,
    settings,
    stats(): CacheStats {
      const store = shared.store;
      return {
        address: node.address,
        ready: shared.ready,
        members: shared.ring.members,
        ...shared.counters,
        evictions: store?.evictions ?? 0,
        keys: store?.keys ?? 0,
        entries: store?.size ?? 0,
        bytes: store?.bytes ?? 0,
        hints: shared.hints,
      };
    },
    entries: () => (shared.store ? [...shared.store.entries()] : []),
    replicasOf: (key) => shared.ring.preferenceList(key, settings.replicationFactor),
    stop(): Promise<void> {
      if (!stopping) {
        for (const unsubscribe of unsubscribers) unsubscribe();
        node.system.stop(ref);
        stopping = node.system.whenStopped(ref);
      }
      return stopping;
    },
  };
}
