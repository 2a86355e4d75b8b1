import {
  CacheTimeoutError,
  ConsistencyUnavailableError,
  createCacheClient,
  InvalidCacheSettingsError,
} from '../src';
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

  it('cuts the requests of one turn, and their answers, at maxMessageBytes: 40 values of 60 kB in one turn each way', async () => {
    await withSimCache({}, async (sim, cache) => {
      const client = createCacheClient(sim.node('node-1').node, 'troupe://sim@node-2');
      const value = (i: number) => `${i}`.padEnd(60_000, 'x');
      const keys = Array.from({ length: 40 }, (_, i) => `big-${i}`);
      // 2.4 MB each way: more than the transport's largest message (1 MiB), so one message would be refused.
      await sim.waitFor(Promise.all(keys.map((k, i) => client.put(k, value(i)))), 10_000);
      const got = await sim.waitFor(Promise.all(keys.map((k) => client.get<string>(k))), 10_000);
      expect(got.map((v) => v?.slice(0, 2))).toEqual(keys.map((_, i) => `${i}`.padEnd(2, 'x')));
      expect(got.every((v) => v?.length === 60_000)).toBe(true);
      expect(cache('node-2').stats().puts).toBe(40);
    });
  });

  it('sends the requests of one turn together and gives each its own answer', async () => {
    await withSimCache({ hintIntervalMs: 1_000_000 }, async (sim) => {
      const client = createCacheClient(sim.node('node-1').node, 'troupe://sim@node-2');
      await sim.waitFor(client.put('gone', 'soon'));
      // node-3 unreachable: quorum requests succeed, one at `all` fails; all are made in the same turn.
      sim.apply({ type: 'isolate', node: 'node-3' });
      const settled = await sim.waitFor(
        Promise.allSettled([
          client.put('a', 1),
          client.put('b', { two: 2 }, { ttlMs: 60_000 }),
          client.get('never-written'),
          client.put('c', 3, { consistency: 'all', timeoutMs: 300 }),
          client.delete('gone'),
          client.get('gone', { consistency: 'one' }),
        ]),
      );
      expect(settled.map((s) => s.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      expect((settled[2] as PromiseFulfilledResult<unknown>).value).toBeUndefined();
      expect((settled[3] as PromiseRejectedResult).reason).toBeInstanceOf(ConsistencyUnavailableError);
      const after = await sim.waitFor(Promise.all([client.get('a'), client.get('b'), client.get('gone')]));
      expect(after).toEqual([1, { two: 2 }, undefined]);
    });
  });

  it('refuses to be created without a coordinator', async () => {
    await withSimCache({}, async (sim) => {
      expect(() => createCacheClient(sim.node('node-1').node, [])).toThrow(InvalidCacheSettingsError);
    });
  });
});
