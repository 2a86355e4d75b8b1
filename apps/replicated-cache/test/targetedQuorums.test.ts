import { CacheSettings, InvalidCacheSettingsError } from '../src';
import type { CacheNode } from '../src';
import type { Simulation } from '@troupe/testkit';
import { held, withSimCache } from './simCache';

/**
 * Anti-entropy and hints far apart, so that each test sees only the mechanism it is about; no write leases, under
 * which a coordinator that keeps writing skips the first phase these tests are about (see writeLeases.test.ts).
 */
const QUIET = { antiEntropyIntervalMs: 1_000_000, hintIntervalMs: 1_000_000, writeLeaseMs: 0 };

/** Virtual ms each write took, one after another through `coordinator`. */
async function timedWrites(
  sim: Simulation,
  coordinator: CacheNode,
  keys: readonly string[],
): Promise<number[]> {
  const took: number[] = [];
  for (const k of keys) {
    const start = sim.clock.now();
    await sim.waitFor(coordinator.client.put(k, k));
    took.push(sim.clock.now() - start);
  }
  return took;
}

const served = (cache: (name: string) => CacheNode, what: 'versionsServed' | 'readsServed') =>
  ['node-1', 'node-2', 'node-3'].map((n) => cache(n).stats()[what]);

describe('a coordinator of quorum requests on three replicas', () => {
  it('asks one other replica for its version per write, in turn, and still writes to every replica', async () => {
    await withSimCache(QUIET, async (sim, cache) => {
      const before = served(cache, 'versionsServed');
      const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
      for (const k of keys) await sim.waitFor(cache('node-1').client.put(k, k));
      const after = served(cache, 'versionsServed');
      const asked = after.map((n, i) => n - before[i]);
      // Its own version and one other make the quorum: 20 version queries in all, not 40, spread over both.
      expect(asked[0]).toBe(0);
      expect(asked[1] + asked[2]).toBe(20);
      expect(Math.min(asked[1], asked[2])).toBeGreaterThanOrEqual(5);
      expect(cache('node-1').stats().speculativeRetries).toBe(0);
      // The second phase goes to every replica.
      await sim.run(50);
      for (const n of ['node-1', 'node-2', 'node-3']) for (const k of keys) expect(held(cache(n), k)).toBe(k);
    });
  });

  it('asks one other replica per quorum read, and every other one when asked for all', async () => {
    await withSimCache(QUIET, async (sim, cache) => {
      await sim.waitFor(cache('node-1').client.put('k', 'v', { consistency: 'all' }));
      const before = served(cache, 'readsServed');
      for (let i = 0; i < 10; i++) expect(await sim.waitFor(cache('node-1').client.get('k'))).toBe('v');
      const quorum = served(cache, 'readsServed').map((n, i) => n - before[i]);
      expect(quorum).toEqual([0, 5, 5]);
      for (let i = 0; i < 10; i++)
        expect(await sim.waitFor(cache('node-1').client.get('k', { consistency: 'all' }))).toBe('v');
      const all = served(cache, 'readsServed').map((n, i) => n - before[i] - quorum[i]);
      expect(all).toEqual([0, 10, 10]);
    });
  });

  it('asks the other replicas when the one asked has not answered after speculativeRetryMs', async () => {
    await withSimCache({ ...QUIET, speculativeRetryMs: 200 }, async (sim, cache) => {
      // node-3 drops everything, and no failure detector has noticed yet.
      sim.apply({ type: 'isolate', node: 'node-3' });
      // The replica asked changes from one write (one turn of the coordinator) to the next: one of two asks node-3.
      const [a, b] = await timedWrites(sim, cache('node-1'), ['a', 'b']);
      expect(Math.min(a, b)).toBeLessThan(50);
      expect(Math.max(a, b)).toBeGreaterThanOrEqual(200);
      expect(Math.max(a, b)).toBeLessThan(300);
      expect(cache('node-1').stats().speculativeRetries).toBe(1);
      // node-3 kept a write waiting: later writes ask node-2 first, without waiting again.
      const later = await timedWrites(sim, cache('node-1'), ['c', 'd', 'e', 'f']);
      expect(Math.max(...later)).toBeLessThan(50);
      expect(cache('node-1').stats().speculativeRetries).toBe(1);
      // Once node-3 answers again (it still gets every write's second phase), it is asked in turn again.
      sim.apply({ type: 'heal' });
      await sim.waitFor(cache('node-1').client.put('g', 0));
      await sim.run(50);
      const before = cache('node-3').stats().versionsServed;
      await timedWrites(sim, cache('node-1'), ['h', 'i']);
      expect(cache('node-3').stats().versionsServed).toBe(before + 1);
    });
  });

  it('asks the other replicas at once when the one asked is found unreachable', async () => {
    await withSimCache(
      { ...QUIET, requestTimeoutMs: 20_000, speculativeRetryMs: 10_000 },
      async (sim, cache) => {
        sim.apply({ type: 'isolate', node: 'node-3' });
        // Remoting holds node-3 unreachable 1000 ms after it last heard from it (see simCache): the write that
        // asked node-3 completes then, long before the delay.
        const [a, b] = await timedWrites(sim, cache('node-1'), ['a', 'b']);
        expect(Math.min(a, b)).toBeLessThan(50);
        expect(Math.max(a, b)).toBeGreaterThanOrEqual(500);
        expect(Math.max(a, b)).toBeLessThan(1500);
        expect(cache('node-1').stats().speculativeRetries).toBe(1);
        // Unreachable: not asked first any more.
        const later = await timedWrites(sim, cache('node-1'), ['c', 'd', 'e', 'f']);
        expect(Math.max(...later)).toBeLessThan(50);
        expect(cache('node-1').stats().speculativeRetries).toBe(1);
      },
    );
  });

  it('asks the other replicas at once when the one asked answers that it is recovering', async () => {
    await withSimCache(
      { ...QUIET, requestTimeoutMs: 20_000, speculativeRetryMs: 10_000 },
      async (sim, cache) => {
        // node-3 restarts but cannot catch up (it needs node-2's entries too), yet it answers node-1.
        sim.apply({ type: 'partition', sides: [['node-2'], ['node-3']] });
        sim.apply({ type: 'crash', node: 'node-3', restartAfterMs: 100 });
        await sim.run(1000);
        expect(cache('node-3').stats().ready).toBe(false);
        const [a, b] = await timedWrites(sim, cache('node-1'), ['a', 'b']);
        expect(Math.max(a, b)).toBeLessThan(50);
        expect(cache('node-1').stats().speculativeRetries).toBe(1);
        // Recovering: not asked first any more.
        const later = await timedWrites(sim, cache('node-1'), ['c', 'd', 'e', 'f']);
        expect(Math.max(...later)).toBeLessThan(50);
        expect(cache('node-1').stats().speculativeRetries).toBe(1);
      },
    );
  });

  it('defaults speculativeRetryMs to a tenth of the request timeout and refuses one as long as the timeout', () => {
    expect(CacheSettings.defaults().speculativeRetryMs).toBe(100);
    expect(CacheSettings.defaults({ requestTimeoutMs: 400 }).speculativeRetryMs).toBe(40);
    expect(CacheSettings.defaults({ speculativeRetryMs: 0 }).speculativeRetryMs).toBe(0);
    expect(() => CacheSettings.defaults({ requestTimeoutMs: 500, speculativeRetryMs: 500 })).toThrow(
      InvalidCacheSettingsError,
    );
    expect(() => CacheSettings.defaults({ speculativeRetryMs: -1 })).toThrow(InvalidCacheSettingsError);
  });
});
