import type { RandomSource } from '@troupe/core';
import type { DeliveryScheduler } from '../DeliveryScheduler';
import { FaultTable } from './FaultTable';
import type { Dial, MemoryNode } from './MemoryNode';
import type { MemoryLink } from './MemoryLink';
import { PartitionTable } from './PartitionTable';

/** @internal The network's counters; `sent + duplicated = delivered + dropped + inFlight` at all times. */
export interface Counters {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  inFlight: number;
}

/**
 * @internal The state every node, link and connection of one network shares. `MemoryNetwork` is its public
 * face; keeping it apart keeps the internals off the public types.
 */
export class NetworkCore {
  readonly faults = new FaultTable();
  readonly partitions = new PartitionTable();
  readonly counters: Counters = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, inFlight: 0 };
  /** Nodes by address, from creation until they close or crash: an address has one holder at a time. */
  readonly nodes = new Map<string, MemoryNode>();
  /** Links not yet closed, closing ones included: shutdown must reach them all. */
  readonly links = new Set<MemoryLink>();
  readonly dials = new Set<Dial>();
  shutDown = false;
  private seq = 0;

  constructor(
    readonly random: RandomSource,
    readonly scheduler: DeliveryScheduler,
  ) {}

  /** Orders dials and links, to tell a dial that crossed a connection made while it was pending. */
  nextSeq(): number {
    return ++this.seq;
  }
}

/**
 * @internal Calls user code from inside a network step. An exception must not leave a link half-updated, yet
 * must not vanish either: it is rethrown on its own, an uncaught exception as with an EventEmitter listener.
 */
export function guard<T>(listener: (arg: T) => void, arg: T): void {
  try {
    listener(arg);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
