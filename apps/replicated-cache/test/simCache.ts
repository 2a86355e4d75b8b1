import { Serialization } from '@troupe/remote';
import { type SimNode, type Simulation, simulate } from '@troupe/testkit';
import { type CacheNode, type CacheSettings, registerCacheProtocol, startCache } from '../src';

/** A cache of `nodes` nodes with static members inside `simulate()` (virtual time, no nemesis unless applied). */
export function withSimCache<T>(
  settings: Partial<CacheSettings>,
  scenario: (sim: Simulation, cache: (name: string) => CacheNode) => Promise<T>,
  options: { nodes?: number; seed?: number } = {},
): Promise<T> {
  const nodes = options.nodes ?? 3;
  const members = Array.from({ length: nodes }, (_, i) => `troupe://sim@node-${i + 1}`);
  const caches = new Map<string, CacheNode>();
  return simulate(
    {
      seed: options.seed ?? 1,
      nodes,
      remoting: { heartbeatIntervalMs: 200, unreachableAfterMs: 1000, reconnect: { minMs: 20, maxMs: 200 } },
      serialization: () => registerCacheProtocol(new Serialization()),
      setup: (node: SimNode) => {
        caches.set(node.name, startCache(node.node, { members, settings }));
      },
    },
    async (sim) => {
      const cache = (name: string): CacheNode => caches.get(name)!;
      await sim.runUntil(() => sim.nodes.every((n) => cache(n.name).stats().ready), 5000);
      return scenario(sim, cache);
    },
  );
}

/** What a node's replica holds for `key` (undefined: nothing). */
export function held(cache: CacheNode, key: string): unknown {
  const found = cache.entries().find(([k]) => k === key);
  return found ? (found[1].deleted ? 'tombstone' : found[1].value) : undefined;
}

/** Rejects with the error a promise settles with, as a value (for `expect(...).toMatchObject`). */
export async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}
