import { createSeededRandom, type RandomSource } from '@troupe/core';
import { Serialization } from '@troupe/remote';
import {
  checkConverged,
  checkLinearizable,
  type NemesisAction,
  type RegisterOperation,
  type SimNode,
  type Simulation,
  simulate,
} from '@troupe/testkit';
import { ClusterSettings, startCluster } from '@troupe/cluster';
import type { CacheSettings } from '../CacheSettings';
import { registerCacheProtocol } from '../internal/protocol';
import { type CacheNode, startCache } from '../startCache';

/** Options of {@link cacheScenario}; the defaults are the registered scenario. */
export interface CacheScenarioOptions {
  /** Default 3 (every node a replica of every key with N = 3). */
  nodes?: number;
  /** Keys the clients share. Default 3, so that operations on one key overlap. */
  keys?: number;
  /** Virtual ms. Default 3000: clients run until 80 %, the nemesis until 60 %. */
  durationMs?: number;
  /** Largest clock skew, either way, at start and in `skew` actions. Default 400 ms. */
  skewMs?: number;
  /** Whether the nemesis runs. Default true. */
  nemesis?: boolean;
  settings?: Partial<CacheSettings>;
  /**
   * Members from a real cluster (`startCluster`, fast settings, keep-majority downing) instead of static ones.
   * Partitions then last at most 300 ms (shorter than detection plus stable-after, so the majority does not
   * down the minority); a node downed all the same shuts itself down and is restarted. Default false.
   */
  cluster?: boolean;
}

/** What a `cache` run did. */
export interface CacheReport {
  readonly operations: number;
  readonly acknowledgedWrites: number;
  readonly reads: number;
  /** Requests that failed (consistency unavailable, timeouts): writes among them have an unknown outcome. */
  readonly failed: number;
  readonly crashes: number;
  readonly partitions: number;
  /** Writes coordinated under a write lease, and writes refused under one, over every node's incarnations. */
  readonly leasedWrites: number;
  readonly leaseRefusals: number;
  readonly steps: number;
  readonly virtualMs: number;
  readonly traceHash: string;
}

interface History {
  now: () => number;
  readonly ops: Array<{ -readonly [K in keyof RegisterOperation]: RegisterOperation[K] }>;
  failed: number;
}

const SIM_SETTINGS: Partial<CacheSettings> = {
  requestTimeoutMs: 400,
  antiEntropyIntervalMs: 300,
  hintIntervalMs: 100,
  syncRetryMs: 200,
  merkleDepth: 4,
  vnodes: 16,
};

/**
 * The replicated cache under a nemesis: on N nodes (static members), one client per node start writes, deletes
 * and reads a few shared keys with quorum consistency while the nemesis partitions, isolates, crashes and
 * restarts nodes (one at a time, never while a node is still recovering: crashes of up to a minority), drops,
 * duplicates and reorders messages, and skews clocks. Then everything heals. Properties: the history of
 * operations (failed writes counted as maybe-applied) is linearizable per key, final quorum reads included, so
 * no acknowledged write was lost and no quorum read returned anything older than the latest acknowledged write;
 * and after the heal every replica holds the same entries.
 *
 * @example
 * ```ts
 * const report = await cacheScenario(7);
 * console.log(`${report.acknowledgedWrites} acknowledged writes, ${report.crashes} crashes, linearizable`);
 * ```
 */
export async function cacheScenario(seed: number, options: CacheScenarioOptions = {}): Promise<CacheReport> {
  const nodes = options.nodes ?? 3;
  const keys = options.keys ?? 3;
  const durationMs = options.durationMs ?? 3000;
  const skewMs = options.skewMs ?? 400;
  const nemesisUntil = Math.round(durationMs * 0.6);
  const clientsUntil = Math.round(durationMs * 0.8);
  const members = Array.from({ length: nodes }, (_, i) => `troupe://sim@node-${i + 1}`);
  const settings = { ...SIM_SETTINGS, ...options.settings };
  const caches = new Map<string, CacheNode>();
  /** Every incarnation's cache, for counters that outlive a crash. */
  const everyCache: CacheNode[] = [];
  const history: History = { now: () => 0, ops: [], failed: 0 };
  let crashes = 0;
  let partitions = 0;
  const useCluster = options.cluster ?? false;
  /** Starts of nodes whose cluster stopped them (downed): the scenario restarts them. */
  const downed = new Set<string>();

  return simulate(
    {
      name: useCluster ? 'cache-cluster' : 'cache',
      seed,
      nodes,
      durationMs,
      skewMs,
      remoting: { heartbeatIntervalMs: 200, unreachableAfterMs: 1000, reconnect: { minMs: 20, maxMs: 300 } },
      serialization: () => registerCacheProtocol(new Serialization()),
      setup: (node: SimNode) => {
        let cache: CacheNode;
        if (useCluster) {
          const cluster = startCluster(node.node, {
            seeds: members.slice(0, 2),
            // A first seed restarted while cut off waits this long for the running cluster before forming one of
            // its own (a split that never heals): longer than a nemesis partition lasts, unlike fast()'s 500 ms.
            settings: ClusterSettings.fast({ seedTimeoutMs: 3000 }),
          });
          void cluster.whenStopped.then(() => downed.add(`${node.name}#${node.generation}`));
          cache = startCache(node.node, { cluster, settings });
        } else {
          cache = startCache(node.node, { members, settings });
        }
        caches.set(node.name, cache);
        everyCache.push(cache);
        const random = createSeededRandom(seed * 7919 + Number(node.name.slice(5)) * 131 + node.generation);
        void client(node, cache, random, history, keys, clientsUntil);
      },
    },
    async (sim: Simulation) => {
      history.now = () => sim.clock.now();
      const allReady = (): boolean =>
        sim.nodes.length === nodes &&
        sim.nodes.every((n) => {
          const stats = caches.get(n.name)!.stats();
          return n.alive && stats.ready && stats.members.length === nodes;
        });
      /** A node its cluster shut down (downed while cut off) comes back as a new start. */
      const restartDowned = (): void => {
        for (const n of sim.nodes)
          if (n.alive && downed.has(`${n.name}#${n.generation}`))
            sim.apply({ type: 'crash', node: n.name, restartAfterMs: 100 });
      };
      if (options.nemesis ?? true) {
        while (sim.clock.now() < nemesisUntil) {
          await sim.run(150 + Math.floor(sim.random.next() * 500));
          if (useCluster) restartDowned();
          const action = pickAction(sim.random, members.length, skewMs, allReady());
          if (!action) continue;
          if (action.type === 'crash') crashes++;
          if (action.type === 'isolate' || action.type === 'partition') partitions++;
          sim.apply(action);
          if (useCluster && (action.type === 'isolate' || action.type === 'partition')) {
            await sim.run(300);
            sim.apply({ type: 'heal' });
          }
        }
      }
      sim.apply({ type: 'heal' });
      sim.apply({ type: 'clear-faults' });
      for (const n of sim.nodes) if (!n.alive) sim.apply({ type: 'restart', node: n.name });
      if (useCluster) {
        await sim.run(1000);
        restartDowned();
      }
      await sim.run(Math.max(0, clientsUntil - sim.clock.now()));
      // The clients stop; their last requests finish or time out.
      await sim.run(1500);
      sim.check(
        await sim.runUntil(allReady, useCluster ? 30_000 : 10_000),
        'every node is up, sees every member and has recovered after the heal',
        sim.nodes.map((n) => ({
          node: n.name,
          alive: n.alive,
          ready: caches.get(n.name)?.stats().ready,
          members: caches.get(n.name)?.stats().members,
        })),
      );
      // Final quorum reads of every key, through every node: part of the history the checker judges.
      for (let k = 0; k < keys; k++)
        for (const n of sim.nodes)
          await sim.waitFor(
            operation(history, `final@${n.name}`, `k${k}`, 'read', caches.get(n.name)!),
            5000,
          );
      const result = checkLinearizable(history.ops, { maxSteps: 2_000_000 });
      sim.check(result.ok, `quorum history is not linearizable: ${result.ok ? '' : result.reason}`, result);
      const view = (): Map<string, unknown> =>
        new Map(
          sim.nodes.map((n) => [
            n.name,
            Object.fromEntries(
              caches
                .get(n.name)!
                .entries()
                .map(([k, e]) => [k, e.ts.join('.')])
                .sort(),
            ),
          ]),
        );
      await sim.runUntil(() => checkConverged(view()).ok, 10_000);
      const converged = checkConverged(view());
      sim.check(
        converged.ok,
        `replicas did not converge after the heal: ${converged.ok ? '' : converged.reason}`,
      );
      const stats = sim.stats();
      return {
        operations: history.ops.length,
        acknowledgedWrites: history.ops.filter((o) => o.kind === 'write' && o.ok).length,
        reads: history.ops.filter((o) => o.kind === 'read').length,
        failed: history.failed,
        crashes,
        partitions,
        leasedWrites: everyCache.reduce((n, c) => n + c.stats().leasedWrites, 0),
        leaseRefusals: everyCache.reduce((n, c) => n + c.stats().leaseRefusals, 0),
        steps: stats.steps,
        virtualMs: stats.virtualMs,
        traceHash: sim.traceHash(),
      };
    },
  );
}

function pickAction(
  random: RandomSource,
  nodes: number,
  skewMs: number,
  allReady: boolean,
): NemesisAction | undefined {
  const node = `node-${1 + Math.floor(random.next() * nodes)}`;
  const roll = random.next() * 12;
  if (roll < 2) return { type: 'isolate', node };
  if (roll < 3) return { type: 'partition' };
  if (roll < 6) return { type: 'heal' };
  if (roll < 8)
    // One node down at a time, and only once every node has recovered: more would be a majority's memory lost.
    return allReady
      ? { type: 'crash', node, restartAfterMs: 200 + Math.floor(random.next() * 1300) }
      : undefined;
  if (roll < 9) return { type: 'faults', dropRate: 0.05, duplicateRate: 0.05, reorderRate: 0.1 };
  if (roll < 10) return { type: 'clear-faults' };
  return { type: 'skew', node, offsetMs: Math.round((random.next() * 2 - 1) * skewMs) };
}

/** One client per start of a node: random writes, deletes and reads of shared keys, through its own node. */
async function client(
  node: SimNode,
  cache: CacheNode,
  random: RandomSource,
  history: History,
  keys: number,
  until: number,
): Promise<void> {
  const process = `${node.name}#${node.generation}`;
  let n = 0;
  while (node.alive && history.now() < until) {
    await new Promise<void>((resolve) => node.clock.setTimeout(resolve, 5 + Math.floor(random.next() * 40)));
    if (!node.alive || history.now() >= until) return;
    const key = `k${Math.floor(random.next() * keys)}`;
    const roll = random.next();
    if (roll < 0.4) await operation(history, process, key, 'write', cache, `${process}:${n++}`);
    else if (roll < 0.5) await operation(history, process, key, 'write', cache, undefined);
    else await operation(history, process, key, 'read', cache);
  }
}

/**
 * Runs one quorum operation and records it. A write that failed stays pending (it may have taken effect); a read
 * that failed constrains nothing and is marked not ok.
 */
async function operation(
  history: History,
  process: string,
  key: string,
  kind: 'read' | 'write',
  cache: CacheNode,
  value?: string,
): Promise<void> {
  const op: History['ops'][number] = {
    process,
    kind,
    key,
    value,
    invokedAt: history.now(),
    completedAt: undefined,
    ok: false,
  };
  history.ops.push(op);
  try {
    if (kind === 'read') op.value = await cache.client.get(key, { consistency: 'quorum' });
    else if (value === undefined) await cache.client.delete(key, { consistency: 'quorum' });
    else await cache.client.put(key, value, { consistency: 'quorum' });
    op.completedAt = history.now();
    op.ok = true;
  } catch {
    history.failed++;
    if (kind === 'read') {
      op.completedAt = history.now();
      op.ok = false;
    }
  }
}
