import { compareTimestamps, maxTimestamp, type Timestamp } from './HybridLogicalClock';

/** One version of a key as replicas keep and exchange it. A delete is a tombstone: `deleted`, value `null`. */
export interface Entry {
  readonly ts: Timestamp;
  readonly value: unknown;
  readonly deleted: boolean;
  /** Wall-clock ms (of the writing coordinator's hybrid clock) at which it expires; 0 for never. */
  readonly expiresAt: number;
  /** Size of the value as JSON, in bytes; what the memory bound counts. */
  readonly size: number;
}

/** Options of {@link EntryStore}. */
export interface EntryStoreOptions {
  /** Most bytes of keys and values kept; beyond, least recently used entries are evicted. */
  maxBytes: number;
  /** How long a tombstone (or an expired entry) is kept before it is purged, in ms. */
  tombstoneGraceMs: number;
}

/** What {@link EntryStore.apply} did. */
export type ApplyOutcome = 'applied' | 'same' | 'stale';

interface Stored {
  entry: Entry;
  /** Local time it was stored or last replaced: the tombstone grace counts from here. */
  storedAt: number;
  bytes: number;
}

/** Bytes a stored entry costs besides its key and value: what a Map slot and the record take, roughly. */
const OVERHEAD = 64;

/**
 * A replica's storage: last-writer-wins entries by hybrid timestamp, tombstones for deletes, TTL, and a memory
 * bound with least-recently-used eviction. Purging a tombstone or evicting an entry forgets its timestamp, so the
 * store keeps the highest forgotten timestamp as a `floor`: a write older than it is never accepted as new,
 * which keeps the quorum write rule (accept only timestamps above what you hold) safe after forgetting.
 *
 * @example
 * ```ts
 * const store = new EntryStore({ maxBytes: 1 << 20, tombstoneGraceMs: 60_000 });
 * store.apply('k', { ts: [1, 0, 'n1'], value: 'v', deleted: false, expiresAt: 0, size: 3 }, now);
 * store.get('k')?.value; // 'v'
 * ```
 */
export class EntryStore {
  private readonly map = new Map<string, Stored>();
  private bytesUsed = 0;
  private tombstones = 0;
  private evicted = 0;
  private forgotten: Timestamp | undefined = undefined;

  constructor(private readonly options: EntryStoreOptions) {}

  /** The entry held for `key` (tombstones and expired entries included), marking it recently used. */
  get(key: string): Entry | undefined {
    const stored = this.map.get(key);
    if (!stored) return undefined;
    this.map.delete(key);
    this.map.set(key, stored);
    return stored.entry;
  }

  /** The entry held for `key`, without touching its recency. */
  peek(key: string): Entry | undefined {
    return this.map.get(key)?.entry;
  }

  /** The timestamp a new write must exceed: the entry's, or the floor when the key is not held. */
  versionOf(key: string): Timestamp | undefined {
    return this.map.get(key)?.entry.ts ?? this.forgotten;
  }

  /** The highest timestamp of anything purged or evicted. */
  get floor(): Timestamp | undefined {
    return this.forgotten;
  }

  /** Raises the floor (a recovering replica takes its peers' floors). */
  raiseFloor(ts: Timestamp | undefined): void {
    this.forgotten = maxTimestamp(this.forgotten, ts);
  }

  /**
   * Keeps `entry` if it is newer than what is held: last writer wins by timestamp. `same` when the very same
   * version is already held (a duplicate or a repair that was not needed), `stale` when something newer is.
   */
  apply(key: string, entry: Entry, now: number): ApplyOutcome {
    let stored = this.map.get(key);
    if (stored) {
      const c = compareTimestamps(entry.ts, stored.entry.ts);
      if (c === 0) return 'same';
      if (c < 0) return 'stale';
      this.remove(key, stored);
    } else if (this.forgotten && compareTimestamps(entry.ts, this.forgotten) <= 0 && entry.deleted) {
      // A tombstone no newer than something already forgotten tells nothing new.
      return 'stale';
    }
    const bytes = key.length * 2 + entry.size + OVERHEAD;
    // The record of a replaced entry is reused: one allocation fewer per write on every replica, for a record that
    // lives as long as its key.
    if (stored) {
      stored.entry = entry;
      stored.storedAt = now;
      stored.bytes = bytes;
    } else {
      stored = { entry, storedAt: now, bytes };
    }
    this.map.set(key, stored);
    this.bytesUsed += bytes;
    if (entry.deleted) this.tombstones++;
    this.evictOver(key);
    return 'applied';
  }

  /**
   * Purges tombstones, and entries expired, for longer than the grace period. Returns how many went. Run it
   * now and then; reads treat expired entries as absent meanwhile.
   */
  sweep(now: number): number {
    const grace = this.options.tombstoneGraceMs;
    let purged = 0;
    for (const [key, stored] of this.map) {
      const { entry } = stored;
      const dead =
        (entry.deleted && stored.storedAt + grace <= now) ||
        (entry.expiresAt > 0 && entry.expiresAt + grace <= now);
      if (!dead) continue;
      this.remove(key, stored);
      this.forgotten = maxTimestamp(this.forgotten, entry.ts);
      purged++;
    }
    return purged;
  }

  /**
   * Every held entry, least recently used first; with `storedBy`, only those stored (or last replaced) at or
   * before that local time.
   */
  *entries(storedBy = Infinity): IterableIterator<[string, Entry]> {
    for (const [key, stored] of this.map) if (stored.storedAt <= storedBy) yield [key, stored.entry];
  }

  /** Removes a key outright (it moved to other replicas). Its timestamp raises the floor. */
  drop(key: string): void {
    const stored = this.map.get(key);
    if (!stored) return;
    this.remove(key, stored);
    this.forgotten = maxTimestamp(this.forgotten, stored.entry.ts);
  }

  /** Keys held with a value (tombstones not counted; expired ones until purged). */
  get keys(): number {
    return this.map.size - this.tombstones;
  }

  /** Entries held, tombstones included. */
  get size(): number {
    return this.map.size;
  }

  get bytes(): number {
    return this.bytesUsed;
  }

  get evictions(): number {
    return this.evicted;
  }

  private remove(key: string, stored: Stored): void {
    this.map.delete(key);
    this.bytesUsed -= stored.bytes;
    if (stored.entry.deleted) this.tombstones--;
  }

  private evictOver(justWritten: string): void {
    if (this.bytesUsed <= this.options.maxBytes) return;
    for (const [key, stored] of this.map) {
      if (this.bytesUsed <= this.options.maxBytes) break;
      if (key === justWritten) continue;
      this.remove(key, stored);
      this.forgotten = maxTimestamp(this.forgotten, stored.entry.ts);
      this.evicted++;
    }
  }
}

/** Whether an entry holds a value at `now`: not a tombstone and not expired. */
export function isLive(entry: Entry, now: number): boolean {
  return !entry.deleted && (entry.expiresAt === 0 || entry.expiresAt > now);
}
