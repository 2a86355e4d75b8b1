import type { Clock } from '@troupe/core';

/**
 * A hybrid logical clock timestamp: `[wall, logical, node]`. `wall` is milliseconds of the physical clock that
 * issued it (or of one it heard from), `logical` counts events within one `wall`, and `node` (the issuing node's
 * incarnation) breaks ties, so two different writes never carry equal timestamps. Plain data, so it crosses the
 * wire as is.
 */
export type Timestamp = readonly [wall: number, logical: number, node: string];

/**
 * Total order of timestamps: wall, then logical, then node id. Negative when `a` is older.
 *
 * @example
 * ```ts
 * compareTimestamps([10, 0, 'a'], [10, 1, 'a']); // < 0
 * compareTimestamps([10, 1, 'a'], [10, 1, 'b']); // < 0: ties broken by node id
 * ```
 */
export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0;
}

/** The newer of two timestamps (`undefined` counts as oldest). */
export function maxTimestamp(a: Timestamp | undefined, b: Timestamp | undefined): Timestamp | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareTimestamps(a, b) >= 0 ? a : b;
}

/** Whether a value is a well-formed timestamp: for validating what arrives from the wire. */
export function isTimestamp(v: unknown): v is Timestamp {
  return (
    Array.isArray(v) &&
    v.length === 3 &&
    Number.isSafeInteger(v[0]) &&
    Number.isSafeInteger(v[1]) &&
    (v[1] as number) >= 0 &&
    typeof v[2] === 'string'
  );
}

/**
 * A hybrid logical clock (Kulkarni et al., 2014): timestamps that follow the physical clock when it moves, never
 * go backwards, and always exceed every timestamp this node has seen. A node whose clock runs behind still
 * issues timestamps above the ones it received from a node running ahead, which is what lets a write that
 * learned the highest timestamp from a quorum be ordered after every write that finished before it.
 *
 * @example
 * ```ts
 * const hlc = new HybridLogicalClock(system.clock, node.incarnation);
 * const ts = hlc.now();        // for a local event (a write)
 * hlc.observe(remoteTs);       // after hearing of a timestamp from elsewhere
 * compareTimestamps(hlc.now(), remoteTs) > 0; // true
 * ```
 */
export class HybridLogicalClock {
  private wall = 0;
  private logical = 0;

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    readonly node: string,
  ) {}

  /** A new timestamp, above every one issued or observed so far. */
  now(): Timestamp {
    const physical = Math.floor(this.clock.now());
    if (physical > this.wall) {
      this.wall = physical;
      this.logical = 0;
    } else {
      this.logical++;
    }
    return [this.wall, this.logical, this.node];
  }

  /** Takes a timestamp heard from elsewhere into account: every later `now()` is above it. */
  observe(ts: Timestamp): void {
    if (ts[0] > this.wall) {
      this.wall = ts[0];
      this.logical = ts[1];
    } else if (ts[0] === this.wall && ts[1] > this.logical) {
      this.logical = ts[1];
    }
  }
}
