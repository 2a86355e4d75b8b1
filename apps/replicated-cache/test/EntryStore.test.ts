import { type Entry, EntryStore, isLive, type Timestamp } from '../src';

const entry = (ts: Timestamp, value: unknown, more: Partial<Entry> = {}): Entry => ({
  ts,
  value,
  deleted: false,
  expiresAt: 0,
  size: JSON.stringify(value).length,
  ...more,
});
const tombstone = (ts: Timestamp): Entry => ({ ts, value: null, deleted: true, expiresAt: 0, size: 0 });

describe('the entry store', () => {
  it('keeps the newer of two versions, whatever order they arrive in', () => {
    const store = new EntryStore({ maxBytes: 1 << 20, tombstoneGraceMs: 1000 });
    expect(store.apply('k', entry([10, 0, 'b'], 'new'), 0)).toBe('applied');
    expect(store.apply('k', entry([9, 5, 'a'], 'old'), 0)).toBe('stale');
    expect(store.apply('k', entry([10, 0, 'b'], 'new'), 0)).toBe('same');
    expect(store.get('k')?.value).toBe('new');
  });

  it('treats an expired entry as absent and purges it after the grace period', () => {
    const store = new EntryStore({ maxBytes: 1 << 20, tombstoneGraceMs: 1000 });
    store.apply('k', entry([10, 0, 'a'], 'v', { expiresAt: 500 }), 0);
    expect(isLive(store.get('k')!, 499)).toBe(true);
    expect(isLive(store.get('k')!, 500)).toBe(false);
    expect(store.sweep(1499)).toBe(0);
    expect(store.sweep(1500)).toBe(1);
    expect(store.get('k')).toBeUndefined();
  });

  it('keeps a tombstone for the grace period, then purges it and remembers its timestamp as the floor', () => {
    const store = new EntryStore({ maxBytes: 1 << 20, tombstoneGraceMs: 1000 });
    store.apply('k', entry([10, 0, 'a'], 'v'), 0);
    store.apply('k', tombstone([11, 0, 'a']), 100);
    expect(store.keys).toBe(0);
    expect(store.size).toBe(1);
    // An older write arriving late (a hint, a repair) cannot resurrect the key while the tombstone is kept.
    expect(store.apply('k', entry([10, 5, 'b'], 'late'), 200)).toBe('stale');
    store.sweep(1100);
    expect(store.size).toBe(0);
    expect(store.versionOf('k')).toEqual([11, 0, 'a']);
  });

  it('evicts the least recently used entries beyond the memory bound and counts them', () => {
    const store = new EntryStore({ maxBytes: 3 * (2 + 3 + 64), tombstoneGraceMs: 1000 });
    for (const k of ['a', 'b', 'c']) store.apply(k, entry([1, 0, k], 'x'), 0);
    store.get('a'); // a is now the most recently used
    store.apply('d', entry([2, 0, 'd'], 'x'), 0);
    expect(store.peek('b')).toBeUndefined();
    expect([...store.entries()].map(([k]) => k)).toEqual(['c', 'a', 'd']);
    expect(store.evictions).toBe(1);
    expect(store.bytes).toBeLessThanOrEqual(3 * (2 + 3 + 64));
    // The evicted key's version is the floor: a write below it is not new.
    expect(store.versionOf('b')).toEqual([1, 0, 'b']);
  });

  it('counts keys and bytes as entries come and go', () => {
    const store = new EntryStore({ maxBytes: 1 << 20, tombstoneGraceMs: 0 });
    store.apply('a', entry([1, 0, 'n'], 'hello'), 0);
    store.apply('b', entry([1, 0, 'n'], 'hi'), 0);
    expect(store.keys).toBe(2);
    const bytes = store.bytes;
    store.drop('a');
    expect(store.keys).toBe(1);
    expect(store.bytes).toBeLessThan(bytes);
  });
});
