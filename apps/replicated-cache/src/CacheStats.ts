/** What one cache node counts. Counters only grow; `keys`, `bytes`, `entries` and `hints` are current. */
export interface CacheStats {
  /** This node's address. */
  readonly address: string;
  /** Whether this node's replica answers (false while it recovers after a start or restart). */
  readonly ready: boolean;
  /** Members on the hash ring, as this node sees them. */
  readonly members: readonly string[];
  /** Gets coordinated here that found a value. */
  readonly hits: number;
  /** Gets coordinated here that found none (absent, deleted or expired). */
  readonly misses: number;
  /** Entries this node's store evicted to stay within `maxBytes`. */
  readonly evictions: number;
  /** Keys with a value in this node's store (tombstones not counted). */
  readonly keys: number;
  /** Entries in this node's store, tombstones included. */
  readonly entries: number;
  /** Bytes this node's store uses, by its estimate. */
  readonly bytes: number;
  /** Writes waiting for a replica that did not acknowledge (hinted handoff). */
  readonly hints: number;
  readonly gets: number;
  readonly puts: number;
  readonly deletes: number;
  /** Requests answered with an error (consistency unavailable, bad request). */
  readonly failures: number;
  /** Stale replicas updated after a read. */
  readonly readRepairs: number;
  /** Reads that had to write their value back to a quorum before answering. */
  readonly writeBacks: number;
  /**
   * Writes whose first phase found a version stamped ahead of this node's clock (a node whose clock runs ahead
   * wrote the key): the write went out above it, where plain last-writer-wins on this clock would have lost it.
   */
  readonly clockCatchUps: number;
  readonly hintsDelivered: number;
  /** Entries received from peers by anti-entropy that changed this node's store. */
  readonly antiEntropyRepairs: number;
  /** Entries handed to new owners after members changed. */
  readonly keysMoved: number;
  /**
   * Reads and writes coordinated here that asked more replicas than they first did: an answer had not come after
   * `speculativeRetryMs`, or a replica asked was recovering or became unreachable.
   */
  readonly speculativeRetries: number;
  /** Versions this node's replica sent other coordinators (the first phase of their writes). */
  readonly versionsServed: number;
  /** Reads this node's replica answered for other coordinators. */
  readonly readsServed: number;
  /** Writes coordinated here under a write lease: their first phase was skipped (see `writeLeaseMs`). */
  readonly leasedWrites: number;
  /** Writes this node's replica refused because another node holds a write lease over the key. */
  readonly leaseRefusals: number;
}

/** @internal The mutable counters behind {@link CacheStats}. */
export class StatsCounters {
  hits = 0;
  misses = 0;
  gets = 0;
  puts = 0;
  deletes = 0;
  failures = 0;
  readRepairs = 0;
  writeBacks = 0;
  clockCatchUps = 0;
  hintsDelivered = 0;
  antiEntropyRepairs = 0;
  keysMoved = 0;
  speculativeRetries = 0;
  versionsServed = 0;
  readsServed = 0;
  leasedWrites = 0;
  leaseRefusals = 0;
}
