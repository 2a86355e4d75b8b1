import { CacheTimeoutError, createCacheClient, InvalidCacheSettingsError } from '../src';
import { errorOf, withSimCache } from './simCache';

const MEMBERS = ['troupe://sim@node-1', 'troupe://sim@node-2', 'troupe://sim@node-3'];

describe('a remote client (createCacheClient)', () => {
  it("given every node, sends each request to the key's first replica, which coordinates it", async () => {
    await withSimCache({}, async (sim, cache) => {
      const client = createCacheClient(sim.node('node-1').node, MEMBERS);
      const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`);
      for (const key of keys) await sim.waitFor(client.put(key, key.length));
      for (const key of keys) expect(await sim.waitFor(client.get(key))).toBe(key.length);
      // Every node's ring is the client's: the first replica of each key counted its put and its get.
      const expected = new Map(MEMBERS.map((m) => [m, 0]));
      for (const key of keys) {
        const first = cache('node-1').replicasOf(key)[0];
        expected.set(first, expected.get(first)! + 1);
      }
      for (const [i, member] of MEMBERS.entries()) {
        const stats = cache(`node-${i + 1}`).stats();
        expect({ member, puts: stats.puts, gets: stats.gets }).toEqual({
          member,
          puts: expected.get(member),
          gets: expected.get(member),
        });
      }
      // The keys spread over all three coordinators.
      expect([...expected.values()].every((n) => n > 0)).toBe(true);
    });
  });

  it('times out a request its coordinator never answers, and serves the next one once it answers again', async () => {
    await withSimCache({}, async (sim) => {
      const client = createCacheClient(sim.node('node-1').node, 'troupe://sim@node-2');
      await sim.waitFor(client.put('k', 'before'));
      sim.apply({ type: 'isolate', node: 'node-2' });
      const started = sim.clock.now();
      const error = await sim.waitFor(errorOf(client.get('k', { timeoutMs: 200 })), 5000);
      expect(error).toBeInstanceOf(CacheTimeoutError);
      expect(error).toMatchObject({ code: 'CACHE_ERR_TIMEOUT', timeoutMs: 200 });
      // The coordinator's timeout, the client's grace for the answer to travel, and at most one sweep more.
      const waited = sim.clock.now() - started;
      expect(waited).toBeGreaterThanOrEqual(1200);
      expect(waited).toBeLessThanOrEqual(1300);
      sim.apply({ type: 'heal' });
      await sim.run(500);
      expect(await sim.waitFor(client.get('k'), 5000)).toBe('before');
    });
  });

  it('refuses to be created without a coordinator', async () => {
    await withSimCache({}, async (sim) => {
      expect(() => createCacheClient(sim.node('node-1').node, [])).toThrow(InvalidCacheSettingsError);
    });
  });
});
