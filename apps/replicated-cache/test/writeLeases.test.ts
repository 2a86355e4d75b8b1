import { CacheSettings, ConsistencyUnavailableError } from '../src';
import type { CacheNode } from '../src';
import type { Simulation } from '@troupe/testkit';
import { errorOf, held, withSimCache } from './simCache';

/** Anti-entropy and hints far apart, so that each test sees only the leases. */
const QUIET = { antiEntropyIntervalMs: 1_000_000, hintIntervalMs: 1_000_000 };
const LEASE_MS = CacheSettings.defaults().writeLeaseMs;

/** Keys whose primary (first replica) is `cache`'s node on its ring. */
function keysOf(cache: CacheNode, count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++)
    if (cache.replicasOf(`k${i}`)[0] === cache.address) keys.push(`k${i}`);
  return keys;
}

/**
 * Skews node-1's clock back and node-2's ahead by `skewMs`, and has node-1 write `key` twice: the first write asks
 * for the lease, the second is made under it.
 */
async function node1HoldsLease(
  sim: Simulation,
  cache: (name: string) => CacheNode,
  key: string,
  skewMs: number,
): Promise<void> {
  sim.apply({ type: 'skew', node: 'node-1', offsetMs: -skewMs });
  sim.apply({ type: 'skew', node: 'node-2', offsetMs: skewMs });
  await sim.waitFor(cache('node-1').client.put(key, 'a0'));
  await sim.run(20);
  await sim.waitFor(cache('node-1').client.put(key, 'a'));
  expect(cache('node-1').stats().leasedWrites).toBeGreaterThan(0);
}

describe('write leases', () => {
  it('let a coordinator that keeps writing the keys of its replica set skip the first phase, and the write still reaches every replica', async () => {
    await withSimCache(QUIET, async (sim, cache) => {
      const node1 = cache('node-1');
      const keys = keysOf(node1, 10);
      // The first write asks for the lease; it still takes both phases.
      await sim.waitFor(node1.client.put(keys[0], 'first'));
      await sim.run(20);
      const versions = () => cache('node-2').stats().versionsServed + cache('node-3').stats().versionsServed;
      const before = { leased: node1.stats().leasedWrites, versions: versions() };
      for (const k of keys) await sim.waitFor(node1.client.put(k, k));
      expect(node1.stats().leasedWrites - before.leased).toBe(10);
      expect(versions()).toBe(before.versions);
      await sim.run(50);
      for (const n of ['node-1', 'node-2', 'node-3']) for (const k of keys) expect(held(cache(n), k)).toBe(k);
    });
  });

  it("hold another coordinator's write to a leased key until the holder has stored it, so the holder's later write wins although its clock is behind", async () => {
    await withSimCache(QUIET, async (sim, cache) => {
      const key = keysOf(cache('node-1'), 1)[0];
      await node1HoldsLease(sim, cache, key, 400);
      // Stamped 800 ms ahead of node-1's clock: node-2 and node-3 refuse it until node-1 has stored it.
      await sim.waitFor(cache('node-2').client.put(key, 'b'));
      expect(cache('node-2').stats().leaseRefusals + cache('node-3').stats().leaseRefusals).toBeGreaterThan(
        0,
      );
      const leased = cache('node-1').stats().leasedWrites;
      await sim.waitFor(cache('node-1').client.put(key, 'c'));
      expect(cache('node-1').stats().leasedWrites).toBe(leased + 1);
      expect(await sim.waitFor(cache('node-3').client.get(key))).toBe('c');
      expect(await sim.waitFor(cache('node-2').client.get(key))).toBe('c');
    });
  });

  it("refuse others' writes of a cut-off holder's keys until its lease has run out, and the holder stops using it first", async () => {
    await withSimCache(QUIET, async (sim, cache) => {
      const key = keysOf(cache('node-1'), 1)[0];
      await node1HoldsLease(sim, cache, key, 1500);
      // Clocks 3 s apart: a lease used after its time would stamp node-1's next write below node-2's.
      sim.apply({ type: 'isolate', node: 'node-1' });
      const refused = await errorOf(sim.waitFor(cache('node-2').client.put(key, 'early')));
      expect(refused).toBeInstanceOf(ConsistencyUnavailableError);
      await sim.run(LEASE_MS);
      await sim.waitFor(cache('node-2').client.put(key, 'b'));
      // node-1 back with node-3 only: nothing tells it of 'b' (node-2's hint for it cannot reach it). node-2 took
      // the lease with its write; node-3 refuses node-1's writes until that one runs out too.
      sim.apply({ type: 'partition', sides: [['node-1', 'node-3'], ['node-2']] });
      await sim.run(LEASE_MS);
      // Its grants ran out before the others stopped refusing: this write learns 'b' first, and goes above it.
      await sim.waitFor(cache('node-1').client.put(key, 'c'));
      expect(await sim.waitFor(cache('node-3').client.get(key))).toBe('c');
      sim.apply({ type: 'heal' });
      await sim.run(50);
      expect(await sim.waitFor(cache('node-2').client.get(key))).toBe('c');
    });
  });

  it('keep a restarted node from answering until every member has heard of its restart, or a lease has run its time', async () => {
    const settings = { ...QUIET, replicationFactor: 5 };
    await withSimCache(
      settings,
      async (sim, cache) => {
        // Every member reachable: it is ready as soon as it has synced.
        sim.apply({ type: 'crash', node: 'node-2', restartAfterMs: 10 });
        await sim.run(LEASE_MS / 2);
        expect(cache('node-2').stats().ready).toBe(true);
        // node-5 cut off: four of five replicas sync node-2, but node-5 may use a grant node-2 gave before.
        sim.apply({ type: 'isolate', node: 'node-5' });
        sim.apply({ type: 'crash', node: 'node-2', restartAfterMs: 10 });
        await sim.run(LEASE_MS / 2);
        expect(cache('node-2').stats().ready).toBe(false);
        await sim.run(LEASE_MS);
        expect(cache('node-2').stats().ready).toBe(true);
      },
      { nodes: 5 },
    );
  });
});
