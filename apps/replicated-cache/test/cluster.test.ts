import { type Cluster, ClusterSettings, startCluster } from '@troupe/cluster';
import { Serialization } from '@troupe/remote';
import { type SimNode, simulate } from '@troupe/testkit';
import { type CacheNode, registerCacheProtocol, startCache } from '../src';

jest.setTimeout(120_000);

const KEYS = Array.from({ length: 200 }, (_, i) => `key-${i}`);

describe('a cache over a real cluster (virtual time)', () => {
  it.each([1, 2, 3])(
    'moves keys to their new owners when a member goes and comes back, and serves quorum reads throughout (seed %i)',
    async (seed) => {
      const caches = new Map<string, CacheNode>();
      const clusters = new Map<string, Cluster>();
      const seeds = ['troupe://sim@node-1', 'troupe://sim@node-2'];
      await simulate(
        {
          seed,
          nodes: 5,
          durationMs: 60_000,
          skewMs: 100,
          remoting: {
            heartbeatIntervalMs: 200,
            unreachableAfterMs: 1000,
            reconnect: { minMs: 20, maxMs: 200 },
          },
          serialization: () => registerCacheProtocol(new Serialization()),
          setup: (node: SimNode) => {
            const cluster = startCluster(node.node, { seeds, settings: ClusterSettings.fast() });
            clusters.set(node.name, cluster);
            caches.set(
              node.name,
              startCache(node.node, {
                cluster,
                settings: { antiEntropyIntervalMs: 500, hintIntervalMs: 100 },
              }),
            );
          },
        },
        async (sim) => {
          const cache = (name: string) => caches.get(name)!;
          const ringOf = (name: string) => cache(name).stats().members.length;
          const allSee = (n: number) =>
            sim.nodes
              .filter((x) => x.alive)
              .every((x) => ringOf(x.name) === n && cache(x.name).stats().ready);
          sim.check(await sim.runUntil(() => allSee(5), 20_000), 'five members on every ring');
          for (const key of KEYS) await sim.waitFor(cache('node-1').client.put(key, key.toUpperCase()));

          // node-5 dies for good: the cluster downs and removes it, and its keys get a new third replica.
          sim.apply({ type: 'crash', node: 'node-5', restartAfterMs: null });
          sim.check(
            await sim.runUntil(() => allSee(4), 20_000),
            'four members on every ring after the crash',
          );
          const survivors = ['node-1', 'node-2', 'node-3', 'node-4'];
          const placed = () =>
            KEYS.every((key) =>
              cache('node-1')
                .replicasOf(key)
                .every((r) =>
                  cache(r.slice(r.indexOf('@') + 1))
                    .entries()
                    .some(([k]) => k === key),
                ),
            );
          sim.check(await sim.runUntil(placed, 20_000), 'every key on its three new replicas');
          expect(survivors.reduce((n, s) => n + cache(s).stats().keysMoved, 0)).toBeGreaterThan(0);
          for (const key of KEYS.slice(0, 50))
            expect(await sim.waitFor(cache('node-2').client.get(key))).toBe(key.toUpperCase());

          // It comes back (a new incarnation at the same address) and gets its keys again.
          sim.apply({ type: 'restart', node: 'node-5' });
          sim.check(await sim.runUntil(() => allSee(5), 30_000), 'node-5 back');
          sim.check(await sim.runUntil(placed, 20_000), 'every key on its replicas after the rejoin');
          const onFive = KEYS.filter((key) =>
            cache('node-5').replicasOf(key).includes('troupe://sim@node-5'),
          );
          expect(onFive.length).toBeGreaterThan(50);
          for (const key of onFive.slice(0, 30))
            expect(await sim.waitFor(cache('node-5').client.get(key))).toBe(key.toUpperCase());
        },
      );
    },
  );
});
