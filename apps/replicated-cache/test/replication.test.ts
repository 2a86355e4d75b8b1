import {
  ConsistencyUnavailableError,
  InvalidConsistencyError,
  InvalidKeyError,
  InvalidOptionError,
  InvalidValueError,
  KeyTooLongError,
  ValueTooLargeError,
  CacheSettings,
  InvalidCacheSettingsError,
} from '../src';
import { errorOf, held, withSimCache } from './simCache';

/** Anti-entropy and hints far apart, so that each test sees only the mechanism it is about. */
const QUIET = { antiEntropyIntervalMs: 1_000_000, hintIntervalMs: 1_000_000 };

describe('a replicated cache of three nodes', () => {
  it('stores, reads and deletes a JSON value at every consistency level', async () => {
    await withSimCache({}, async (sim, cache) => {
      const client = cache('node-1').client;
      for (const consistency of ['one', 'quorum', 'all'] as const) {
        const key = `user-${consistency}`;
        await sim.waitFor(client.put(key, { name: 'Ada', tags: [1, 2] }, { consistency }));
        expect(await sim.waitFor(cache('node-2').client.get(key, { consistency: 'all' }))).toEqual({
          name: 'Ada',
          tags: [1, 2],
        });
        await sim.waitFor(client.delete(key, { consistency }));
        expect(await sim.waitFor(client.get(key, { consistency: 'all' }))).toBeUndefined();
      }
      expect(await sim.waitFor(client.get('never-written'))).toBeUndefined();
      expect(cache('node-2').stats()).toMatchObject({ hits: 3, misses: 0 });
      expect(cache('node-1').stats()).toMatchObject({ misses: 4 });
    });
  });

  it('keeps every key on all three replicas with replication factor 3', async () => {
    await withSimCache({}, async (sim, cache) => {
      await sim.waitFor(cache('node-1').client.put('k', 'v', { consistency: 'all' }));
      for (const n of ['node-1', 'node-2', 'node-3']) {
        expect(held(cache(n), 'k')).toBe('v');
        expect(cache(n).stats().keys).toBe(1);
      }
    });
  });

  it('rejects bad requests with typed errors before anything is stored', async () => {
    await withSimCache({ maxKeyLength: 8, maxValueBytes: 16 }, async (sim, cache) => {
      const client = cache('node-1').client;
      await expect(client.get('123456789')).rejects.toBeInstanceOf(KeyTooLongError);
      await expect(client.get('')).rejects.toMatchObject({ code: 'CACHE_ERR_INVALID_KEY' });
      await expect(client.get(42 as unknown as string)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(client.get('k', { consistency: 'most' as 'one' })).rejects.toBeInstanceOf(
        InvalidConsistencyError,
      );
      await expect(client.put('k', 1, { ttlMs: -5 })).rejects.toBeInstanceOf(InvalidOptionError);
      const tooLarge = await sim.waitFor(errorOf(client.put('k', 'x'.repeat(100))));
      expect(tooLarge).toBeInstanceOf(ValueTooLargeError);
      expect(tooLarge).toMatchObject({ code: 'CACHE_ERR_VALUE_TOO_LARGE', bytes: 102, maxBytes: 16 });
      expect(await sim.waitFor(errorOf(client.put('k', undefined)))).toBeInstanceOf(InvalidValueError);
      expect(cache('node-1').stats().entries).toBe(0);
    });
  });

  it('answers ConsistencyUnavailableError with a reason when too few replicas are reachable', async () => {
    await withSimCache({ ...QUIET, requestTimeoutMs: 300 }, async (sim, cache) => {
      sim.apply({ type: 'isolate', node: 'node-1' });
      const client = cache('node-1').client;
      const error = await sim.waitFor(errorOf(client.put('k', 1, { consistency: 'quorum' })));
      expect(error).toBeInstanceOf(ConsistencyUnavailableError);
      expect(error).toMatchObject({ code: 'CACHE_ERR_CONSISTENCY_UNAVAILABLE', consistency: 'quorum' });
      expect((error as ConsistencyUnavailableError).reason).toContain('2 of 3 replicas needed');
      // `one` is still available on the isolated node: its own replica answers.
      await sim.waitFor(client.put('k', 2, { consistency: 'one' }));
      expect(await sim.waitFor(client.get('k', { consistency: 'one' }))).toBe(2);
      // The majority side serves quorum requests; `all` needs the isolated node too.
      await sim.waitFor(cache('node-2').client.put('j', 3, { consistency: 'quorum' }));
      await expect(
        sim.waitFor(cache('node-2').client.get('j', { consistency: 'all' })),
      ).rejects.toBeInstanceOf(ConsistencyUnavailableError);
    });
  });

  it('orders a later write after an earlier one from a node whose clock runs ahead', async () => {
    await withSimCache(QUIET, async (sim, cache) => {
      sim.apply({ type: 'skew', node: 'node-1', offsetMs: 5000 });
      sim.apply({ type: 'skew', node: 'node-2', offsetMs: -5000 });
      // node-2 does not hear of the first write, so its clock has not caught up with node-1's.
      sim.apply({ type: 'isolate', node: 'node-2' });
      await sim.waitFor(cache('node-1').client.put('k', 'first, from the fast clock'));
      sim.apply({ type: 'heal' });
      await sim.run(50);
      await sim.waitFor(cache('node-2').client.put('k', 'second, from the slow clock'));
      expect(await sim.waitFor(cache('node-3').client.get('k'))).toBe('second, from the slow clock');
      // Plain last-writer-wins on node-2's clock would have lost the second write; its first phase learned the
      // version a quorum held, stamped by node-1's clock, and the write went out above it.
      expect(cache('node-2').stats().clockCatchUps).toBe(1);
      const [, entry] = cache('node-3')
        .entries()
        .find(([k]) => k === 'k')!;
      expect(entry.ts[0]).toBeGreaterThanOrEqual(5000);
    });
  });

  it('may return a stale value for a read at consistency one, which quorum reads never do', async () => {
    await withSimCache(QUIET, async (sim, cache) => {
      await sim.waitFor(cache('node-1').client.put('k', 'old', { consistency: 'all' }));
      sim.apply({ type: 'isolate', node: 'node-3' });
      await sim.waitFor(cache('node-1').client.put('k', 'new'));
      expect(await sim.waitFor(cache('node-3').client.get('k', { consistency: 'one' }))).toBe('old');
      expect(await sim.waitFor(cache('node-2').client.get('k', { consistency: 'quorum' }))).toBe('new');
    });
  });

  it('writes a value a quorum read found on only one replica back to a quorum before returning it', async () => {
    await withSimCache(QUIET, async (sim, cache) => {
      sim.apply({ type: 'isolate', node: 'node-1' });
      await sim.waitFor(cache('node-1').client.put('k', 'only on node-1', { consistency: 'one' }));
      sim.apply({ type: 'isolate', node: 'node-3' });
      await sim.run(50);
      expect(await sim.waitFor(cache('node-2').client.get('k'))).toBe('only on node-1');
      expect(cache('node-2').stats().writeBacks).toBe(1);
      expect(held(cache('node-2'), 'k')).toBe('only on node-1');
      // The next quorum read, from a different pair of replicas, cannot go back to the older state.
      sim.apply({ type: 'isolate', node: 'node-1' });
      await sim.run(50);
      expect(await sim.waitFor(cache('node-3').client.get('k'))).toBe('only on node-1');
    });
  });

  it('never lets a quorum read return an older value than an earlier quorum read returned', async () => {
    // Four nodes, replication factor 3: node-4 coordinates a key it does not replicate, so both replicas that
    // answer its reads are remote and a repair is a message in flight like any other.
    await withSimCache(
      QUIET,
      async (sim, cache) => {
        const replicas = (key: string) => cache('node-4').replicasOf(key);
        const key = Array.from({ length: 100 }, (_, i) => `key-${i}`).find(
          (k) => !replicas(k).includes('troupe://sim@node-4'),
        )!;
        const [a, b, c] = replicas(key).map((r) => r.slice(r.indexOf('@') + 1));
        await sim.waitFor(cache('node-4').client.put(key, 'old', { consistency: 'all' }));
        // Only replica a gets the new value (a write at one that did not spread).
        sim.apply({ type: 'isolate', node: a });
        await sim.waitFor(cache(a).client.put(key, 'new', { consistency: 'one' }));
        sim.apply({ type: 'partition', sides: [[c], [a, b, 'node-4']] });
        await sim.run(20);
        expect(await sim.waitFor(cache('node-4').client.get(key))).toBe('new');
        // Anything still in flight to b is lost (a repair sent along with the answer would be).
        sim.apply({ type: 'isolate', node: b });
        await sim.run(20);
        // A later read from b and c: without the write-back before the first answer, both would hold 'old'.
        sim.apply({ type: 'isolate', node: a });
        await sim.run(20);
        expect(await sim.waitFor(cache('node-4').client.get(key))).toBe('new');
        expect(held(cache(b), key)).toBe('new');
      },
      { nodes: 4 },
    );
  });

  it('reads the value from replicas only when they hold another version than the coordinator', async () => {
    await withSimCache(QUIET, async (sim, cache) => {
      const big = 'x'.repeat(8000);
      await sim.waitFor(cache('node-1').client.put('k', big, { consistency: 'all' }));
      // Bytes the other replicas send node-1 while it coordinates one quorum read.
      const bytesToNode1 = async (expected: string): Promise<number> => {
        const from = sim.trace.length;
        expect(await sim.waitFor(cache('node-1').client.get('k'))).toBe(expected);
        await sim.run(50);
        let bytes = 0;
        for (const r of sim.trace.slice(from)) {
          const m = r.kind === 'deliver' ? /^node-[23]>node-1 (\d+)B$/.exec(String(r.detail)) : null;
          if (m) bytes += Number(m[1]);
        }
        return bytes;
      };
      // node-1 offers the version it holds; replicas holding the same one say so instead of sending it back.
      expect(await bytesToNode1(big)).toBeLessThan(1000);
      sim.apply({ type: 'isolate', node: 'node-1' });
      // node-1, the key's primary, holds a write lease from its writes: the others write the key once it runs out.
      await sim.run(CacheSettings.defaults().writeLeaseMs);
      await sim.waitFor(cache('node-2').client.put('k', big + 'y'));
      sim.apply({ type: 'heal' });
      await sim.run(50);
      // node-1 holds an older version now: the others send the newer one.
      expect(await bytesToNode1(big + 'y')).toBeGreaterThan(8000);
    });
  });

  it('repairs a stale replica that answered a read', async () => {
    await withSimCache(QUIET, async (sim, cache) => {
      sim.apply({ type: 'isolate', node: 'node-3' });
      await sim.waitFor(cache('node-1').client.put('k', 'new'));
      sim.apply({ type: 'heal' });
      await sim.run(50);
      expect(held(cache('node-3'), 'k')).toBeUndefined();
      expect(await sim.waitFor(cache('node-1').client.get('k', { consistency: 'all' }))).toBe('new');
      await sim.run(50);
      expect(held(cache('node-3'), 'k')).toBe('new');
      expect(cache('node-1').stats().readRepairs).toBe(1);
    });
  });

  it('hands a write to a replica that was unreachable once it is back (hinted handoff)', async () => {
    await withSimCache({ antiEntropyIntervalMs: 1_000_000, hintIntervalMs: 100 }, async (sim, cache) => {
      sim.apply({ type: 'isolate', node: 'node-3' });
      await sim.waitFor(cache('node-1').client.put('k', 'v'));
      // node-3 has not acknowledged by the request's deadline: the coordinator keeps a hint for it.
      await sim.run(1100);
      expect(cache('node-1').stats().hints).toBe(1);
      expect(held(cache('node-3'), 'k')).toBeUndefined();
      sim.apply({ type: 'heal' });
      await sim.runUntil(() => held(cache('node-3'), 'k') === 'v', 3000);
      expect(held(cache('node-3'), 'k')).toBe('v');
      await sim.run(300);
      expect(cache('node-1').stats()).toMatchObject({ hints: 0, hintsDelivered: 1 });
    });
  });

  it('brings a replica that missed writes up to date by Merkle-tree comparison (anti-entropy)', async () => {
    await withSimCache({ antiEntropyIntervalMs: 200, hintIntervalMs: 1_000_000 }, async (sim, cache) => {
      sim.apply({ type: 'isolate', node: 'node-3' });
      for (let i = 0; i < 20; i++) await sim.waitFor(cache('node-1').client.put(`k${i}`, i));
      await sim.waitFor(cache('node-2').client.delete('k0'));
      expect(cache('node-3').stats().entries).toBe(0);
      sim.apply({ type: 'heal' });
      await sim.runUntil(() => cache('node-3').stats().entries === 20, 10_000);
      expect(cache('node-3').stats()).toMatchObject({ entries: 20, keys: 19 });
      expect(held(cache('node-3'), 'k0')).toBe('tombstone');
      expect(cache('node-3').stats().antiEntropyRepairs).toBe(20);
    });
  });

  it('leaves a key out of anti-entropy until its write has had requestTimeoutMs to reach the replicas', async () => {
    const settings = { antiEntropyIntervalMs: 100, hintIntervalMs: 1_000_000, requestTimeoutMs: 1000 };
    await withSimCache(settings, async (sim, cache) => {
      sim.apply({ type: 'isolate', node: 'node-3' });
      const written = sim.clock.now();
      await sim.waitFor(cache('node-1').client.put('k', 'v'));
      sim.apply({ type: 'heal' });
      // Many rounds of anti-entropy, yet the write is still in flight as far as they are concerned.
      await sim.run(700);
      expect(held(cache('node-3'), 'k')).toBeUndefined();
      await sim.runUntil(() => held(cache('node-3'), 'k') === 'v', 3000);
      expect(held(cache('node-3'), 'k')).toBe('v');
      expect(sim.clock.now() - written).toBeGreaterThanOrEqual(1000);
      expect(cache('node-3').stats().antiEntropyRepairs).toBe(1);
    });
  });

  it('expires a key after its TTL', async () => {
    await withSimCache({}, async (sim, cache) => {
      await sim.waitFor(cache('node-1').client.put('session', 'abc', { ttlMs: 500 }));
      await sim.run(300);
      expect(await sim.waitFor(cache('node-2').client.get('session'))).toBe('abc');
      await sim.run(300);
      expect(await sim.waitFor(cache('node-2').client.get('session'))).toBeUndefined();
    });
  });

  it('evicts least recently used keys beyond the memory bound of a node', async () => {
    await withSimCache({ maxBytes: 2000 }, async (sim, cache) => {
      for (let i = 0; i < 40; i++) await sim.waitFor(cache('node-1').client.put(`key-${i}`, 'x'.repeat(50)));
      const stats = cache('node-1').stats();
      expect(stats.bytes).toBeLessThanOrEqual(2000);
      expect(stats.evictions).toBeGreaterThan(0);
      expect(stats.keys + stats.evictions).toBe(40);
      expect(held(cache('node-1'), 'key-39')).toBe('x'.repeat(50));
      expect(held(cache('node-1'), 'key-0')).toBeUndefined();
    });
  });

  it('does not answer for a restarted replica until it has caught up from its peers', async () => {
    await withSimCache(QUIET, async (sim, cache) => {
      for (let i = 0; i < 10; i++) await sim.waitFor(cache('node-1').client.put(`k${i}`, i));
      sim.apply({ type: 'crash', node: 'node-2', restartAfterMs: 100 });
      sim.apply({ type: 'isolate', node: 'node-3' });
      await sim.run(500);
      // Restarted with an empty store and only one peer reachable: it must not count towards quorums yet.
      expect(sim.node('node-2').generation).toBe(1);
      expect(cache('node-2').stats().ready).toBe(false);
      await expect(sim.waitFor(cache('node-1').client.get('k1'))).rejects.toBeInstanceOf(
        ConsistencyUnavailableError,
      );
      sim.apply({ type: 'heal' });
      await sim.runUntil(() => cache('node-2').stats().ready, 5000);
      expect(cache('node-2').stats()).toMatchObject({ ready: true, keys: 10 });
      sim.apply({ type: 'isolate', node: 'node-1' });
      await sim.run(50);
      expect(await sim.waitFor(cache('node-2').client.get('k7'))).toBe(7);
    });
  });

  it('moves many large values at once in several messages, each under the transport limit', async () => {
    // 30 values of 60 KiB: 1.8 MB per replica, over the 1 MiB the in-memory transport takes in one message.
    const value = (i: number) => `${i}:`.padEnd(60 * 1024, 'v');
    const keys = Array.from({ length: 30 }, (_, i) => `big-${i}`);
    await withSimCache(QUIET, async (sim, cache) => {
      // One turn's writes through one coordinator: one batch per replica, cut at maxMessageBytes.
      await sim.waitFor(Promise.all(keys.map((k, i) => cache('node-1').client.put(k, value(i)))));
      for (const n of ['node-2', 'node-3']) expect(cache(n).stats().keys).toBe(30);
      // A restarted replica catches up from its peers in chunks.
      sim.apply({ type: 'crash', node: 'node-3', restartAfterMs: 100 });
      await sim.run(200);
      await sim.runUntil(() => cache('node-3').stats().ready, 5000);
      expect(cache('node-3').stats()).toMatchObject({ ready: true, keys: 30 });
      // Reads whose replicas send the values back (node-1 lost them): their replies are cut too.
      sim.apply({ type: 'crash', node: 'node-1', restartAfterMs: 100 });
      await sim.run(200);
      await sim.runUntil(() => cache('node-1').stats().ready, 5000);
      const got = await sim.waitFor(Promise.all(keys.map((k) => cache('node-2').client.get(k))));
      expect(got).toEqual(keys.map((_, i) => value(i)));
    });
  });

  it('refuses settings whose messages could not hold one entry', () => {
    expect(() => CacheSettings.defaults({ maxMessageBytes: 64 * 1024 })).toThrow(InvalidCacheSettingsError);
  });
});
