import type { RandomSource } from '@troupe/core';

/**
 * What the network does wrong on purpose, for every link (`MemoryNetwork.setFaults`) or for one direction of
 * one link (`MemoryNetwork.setLinkFaults`). Every decision draws on the network's seeded `RandomSource`, so a
 * run with the same seed and the same calls misbehaves the same way.
 *
 * Drops stay within the transport's contract (a lossy network). Duplicates and reorders deliberately break it
 * (at most once, in order): they are a nemesis for the layers above, which must not rely on more than they
 * were promised.
 *
 * @example
 * ```ts
 * net.setFaults({ dropRate: 0.05, delay: { minMs: 1, maxMs: 20 } });
 * net.setLinkFaults('mem-1', 'mem-2', { duplicateRate: 0.1, reorderRate: 0.1 });
 * ```
 */
export interface Faults {
  /** Probability in [0, 1] that a message is lost. */
  dropRate?: number;
  /** Probability in [0, 1] that a delivered message arrives a second time. */
  duplicateRate?: number;
  /**
   * Probability in [0, 1] that a message leaves the connection's order: it is held back 1-10 ms beyond its
   * delay, so that messages sent after it overtake it.
   */
  reorderRate?: number;
  /**
   * Latency of each message, in ms of the network's clock: uniform in `[minMs, maxMs]`, or whatever the
   * function draws from the network's random source (negative or non-finite results count as 0). Latency alone
   * never reorders a connection: a message waits for the ones sent before it, as on TCP.
   */
  delay?: { minMs: number; maxMs: number } | ((random: RandomSource) => number);
}
