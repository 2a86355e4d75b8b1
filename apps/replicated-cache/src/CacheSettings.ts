import { InvalidCacheSettingsError } from './CacheError';

/** Consistency of one request: how many of a key's replicas must answer. */
export type Consistency = 'one' | 'quorum' | 'all';

export const CONSISTENCIES: readonly Consistency[] = ['one', 'quorum', 'all'];

/** Settings of a cache node. Every node of a cache must use the same `replicationFactor` and `vnodes`. */
export interface CacheSettings {
  /** Replicas of every key (N). Default 3. */
  readonly replicationFactor: number;
  /** Points per member on the hash ring. Default 64. */
  readonly vnodes: number;
  /** Consistency of requests that do not say. Default `quorum`. */
  readonly defaultConsistency: Consistency;
  /** How long a coordinator waits for replicas before answering `ConsistencyUnavailableError`. Default 1000. */
  readonly requestTimeoutMs: number;
  /**
   * A coordinator first asks only as many replicas as the consistency still needs after its own answer (reachable,
   * ready ones first, taken in turn), as Cassandra's speculative retry does: with N = 3 and quorum, one remote
   * replica instead of two. When an answer has not come after this long, it asks the others too (at once when
   * one of those asked fails, or is found unreachable). Applies to a write's first phase (the versions) and to
   * reads; a write's second phase always goes to every replica. Safety does not depend on it, only latency when a
   * replica is slow or gone: short enough that the others still have most of the request's time, long enough
   * that a loaded replica's ordinary answer rarely misses it. Must be less than `requestTimeoutMs`; a request
   * with a shorter timeout of its own waits at most half of it. 0: every replica at once (no targeting).
   * Default: a tenth of `requestTimeoutMs` (100).
   *
   * @example
   * ```ts
   * // Replicas that answer within a few ms: ask the others sooner.
   * const settings = CacheSettings.defaults({ requestTimeoutMs: 500, speculativeRetryMs: 20 });
   * ```
   */
  readonly speculativeRetryMs: number;
  /** Longest key, in characters. Default 256. */
  readonly maxKeyLength: number;
  /** Largest value, as JSON in bytes. Default 64 KiB. */
  readonly maxValueBytes: number;
  /** Memory bound of one node's store (keys + values + overhead), in bytes; LRU beyond. Default 64 MiB. */
  readonly maxBytes: number;
  /** How long tombstones and expired entries are kept before being purged. Default 60 s. */
  readonly tombstoneGraceMs: number;
  /** How often hints for unreachable replicas are retried. Default 250 ms. */
  readonly hintIntervalMs: number;
  /** Most hints kept for all peers; the oldest go first (anti-entropy still repairs). Default 100 000. */
  readonly maxHints: number;
  /** How often a node compares its Merkle tree with a random peer's. Default 2000 ms. */
  readonly antiEntropyIntervalMs: number;
  /** How often tombstones and expired entries are purged. Default 1000 ms. */
  readonly sweepIntervalMs: number;
  /** How often a recovering node asks peers again for their entries. Default 500 ms. */
  readonly syncRetryMs: number;
  /** Keys examined per step when members change (between steps, requests are served). Default 500. */
  readonly rebalanceBatch: number;
  /** Depth of the Merkle tree (2^depth buckets). Default 10. */
  readonly merkleDepth: number;
  /**
   * Most bytes of keys and values in one message between nodes (a batch of replica requests or replies, a sync or
   * anti-entropy chunk); more goes in several. Keep it under the transport's largest message (1 MiB by default
   * for WebSocket and memory), or a large batch is refused whole. At least `maxValueBytes` + `maxKeyLength` +
   * 1024, so that any one entry fits. Default 256 KiB.
   */
  readonly maxMessageBytes: number;
  /**
   * Write leases: a coordinator that keeps writing the keys of a replica set it belongs to (with N = 3 on three
   * nodes, every key) takes a lease over them from the set's other replicas, renewed while it writes. While a
   * majority of the set has granted it, its writes to those keys skip ABD's first phase (learning the versions a
   * quorum holds): one round trip fewer. A granter refuses, for those keys, other coordinators' writes stamped above
   * its clock when it granted, until the holder has stored them (then they are sent again and accepted: a round trip
   * more for writes through a coordinator that does not hold the lease). Expiry is measured on each node's
   * monotonic clock; the holder stops using a grant after 80 % of this, counted from when it asked. A node that
   * restarts answers nothing until every member has heard of the restart, or this long has passed. The price: when
   * a holder fails or is cut off, other coordinators' writes to its keys fail until its lease runs out (at most
   * this long after its last renewal). 0: no leases (every write has both phases). Default 1000.
   *
   * @example
   * ```ts
   * const settings = CacheSettings.defaults({ writeLeaseMs: 0 }); // ABD's two phases for every write
   * ```
   */
  readonly writeLeaseMs: number;
}

export const CacheSettings = {
  /**
   * The defaults, with `overrides` applied and checked; throws `InvalidCacheSettingsError` for a value out of
   * range.
   *
   * @example
   * ```ts
   * const settings = CacheSettings.defaults({ replicationFactor: 5, maxBytes: 256 * 1024 * 1024 });
   * ```
   */
  defaults(overrides: Partial<CacheSettings> = {}): CacheSettings {
    let s: CacheSettings = {
      replicationFactor: 3,
      vnodes: 64,
      defaultConsistency: 'quorum',
      requestTimeoutMs: 1000,
      speculativeRetryMs: 0,
      maxKeyLength: 256,
      maxValueBytes: 64 * 1024,
      maxBytes: 64 * 1024 * 1024,
      tombstoneGraceMs: 60_000,
      hintIntervalMs: 250,
      maxHints: 100_000,
      antiEntropyIntervalMs: 2000,
      sweepIntervalMs: 1000,
      syncRetryMs: 500,
      rebalanceBatch: 500,
      merkleDepth: 10,
      maxMessageBytes: 256 * 1024,
      writeLeaseMs: 1000,
      ...overrides,
    };
    if (overrides.speculativeRetryMs === undefined)
      s = { ...s, speculativeRetryMs: Math.floor(s.requestTimeoutMs / 10) };
    for (const [name, value] of Object.entries(s)) {
      if (name === 'defaultConsistency') continue;
      if ((name === 'speculativeRetryMs' || name === 'writeLeaseMs') && value === 0) continue;
      if (!Number.isSafeInteger(value) || (value as number) < 1)
        throw new InvalidCacheSettingsError(`${name} must be a positive integer, got ${String(value)}`);
    }
    if (!CONSISTENCIES.includes(s.defaultConsistency))
      throw new InvalidCacheSettingsError(`defaultConsistency must be one, quorum or all`);
    if (s.speculativeRetryMs >= s.requestTimeoutMs)
      throw new InvalidCacheSettingsError('speculativeRetryMs must be less than requestTimeoutMs');
    if (s.merkleDepth > 16) throw new InvalidCacheSettingsError('merkleDepth must be at most 16');
    if (s.maxMessageBytes < s.maxValueBytes + s.maxKeyLength + ENTRY_OVERHEAD_BYTES)
      throw new InvalidCacheSettingsError(
        'maxMessageBytes must hold one entry: maxValueBytes + maxKeyLength + 1024',
      );
    return s;
  },
};

/** What an entry costs in a message beyond its key and value, counted generously (timestamp, fields, framing). */
export const ENTRY_OVERHEAD_BYTES = 1024;

/** Replicas that must answer for `consistency` among `n`. */
export function replicasNeeded(consistency: Consistency, n: number): number {
  if (consistency === 'one') return Math.min(1, n);
  if (consistency === 'all') return n;
  return Math.floor(n / 2) + 1;
}
