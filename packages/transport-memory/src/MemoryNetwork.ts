import { type Clock, createSeededRandom, type RandomSource, systemClock } from '@troupe/core';
import { TransportClosedError } from '@troupe/transport';
import type { DeliveryScheduler } from './DeliveryScheduler';
import type { Faults } from './Faults';
import { ImmediateScheduler } from './internal/ImmediateScheduler';
import { MemoryNode } from './internal/MemoryNode';
import { NetworkCore } from './internal/NetworkCore';
import { MemoryTransport, type MemoryTransportOptions } from './MemoryTransport';

const MiB = 1024 * 1024;

/** Options of {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Time for delayed messages. Default `systemClock`; a `SimulatedClock` makes every delay virtual. */
  clock?: Clock;
  /** Every fault decision draws on it. Default: `createSeededRandom(seed)`. */
  random?: RandomSource;
  /** Seed of the default random source. Default 0: a run is repeatable unless asked otherwise. */
  seed?: number;
  /** Takes over when every step of the network runs (see {@link DeliveryScheduler}); `clock` is then unused. */
  scheduler?: DeliveryScheduler;
}

/**
 * What the network has done with messages so far. `sent` counts sends answered 'ok'; each copy of a message
 * (the original, and a duplicate if any) ends up `delivered` or `dropped` (by a fault, a partition, or its
 * connection closing first), so `sent + duplicated = delivered + dropped + inFlight` at all times.
 */
export interface NetworkStats {
  readonly sent: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly duplicated: number;
  readonly inFlight: number;
}

/**
 * Many nodes in one process, joined by a network that misbehaves on demand: seeded drops, duplicates,
 * reorders and delays, partitions, crashes and restarts. Under a `SimulatedClock` with a seed, the same calls
 * give the same deliveries, in the same order, at the same virtual times.
 *
 * @example
 * ```ts
 * const clock = new SimulatedClock();
 * const net = new MemoryNetwork({ clock, seed: 42 });
 * const a = net.transport();  // address 'mem-1'
 * const b = net.transport();  // 'mem-2'
 * // ... listen on both, connect a to b ...
 * net.setFaults({ dropRate: 0.1, delay: { minMs: 5, maxMs: 50 } });
 * net.partition([a.address], [b.address]); // messages between them vanish; connections stay open
 * net.heal();
 * net.crash(b.address);                   // a's connection to b closes with 1006
 * const b2 = net.transport({ address: b.address }); // b restarts (listen with a new incarnation)
 * clock.advance(100);
 * console.log(net.stats());
 * net.shutdown();
 * ```
 */
export class MemoryNetwork {
  private readonly core: NetworkCore;
  private readonly ownScheduler: ImmediateScheduler | undefined;
  private readonly seedUsed: number | undefined;
  private nextAddress = 1;

  constructor(options: MemoryNetworkOptions = {}) {
    this.seedUsed = options.random ? undefined : (options.seed ?? 0);
    const random = options.random ?? createSeededRandom(this.seedUsed!);
    this.ownScheduler = options.scheduler ? undefined : new ImmediateScheduler(options.clock ?? systemClock);
    this.core = new NetworkCore(random, options.scheduler ?? this.ownScheduler!);
  }

  /** The seed of the network's random source, to replay a run; undefined when a `random` was given. */
  get seed(): number | undefined {
    return this.seedUsed;
  }

  /**
   * A transport for one more node. It holds its address from now until it closes or crashes; then a new
   * transport may take the same address, as a restarted node (listening with a new incarnation).
   *
   * @throws Error when the address is held by a live transport, or the network was shut down.
   */
  transport(options: MemoryTransportOptions = {}): MemoryTransport {
    if (this.core.shutDown) throw new Error('the network is shut down');
    const maxMessageBytes = options.maxMessageBytes ?? MiB;
    const maxBufferedBytes = options.maxBufferedBytes ?? 16 * MiB;
    for (const [name, value] of [
      ['maxMessageBytes', maxMessageBytes],
      ['maxBufferedBytes', maxBufferedBytes],
    ] as const)
      if (!(Number.isSafeInteger(value) && value > 0))
        throw new RangeError(`${name} must be a positive integer, got ${value}`);
    let address = options.address;
    if (address === undefined) {
      do address = `mem-${this.nextAddress++}`;
      while (this.core.nodes.has(address));
    } else if (address === '') {
      throw new RangeError('an address cannot be empty');
    } else if (this.core.nodes.has(address)) {
      throw new Error(`address ${address} is held by a live transport`);
    }
    const node = new MemoryNode(this.core, address, maxMessageBytes, maxBufferedBytes);
    this.core.nodes.set(address, node);
    return new MemoryTransport(node);
  }

  /** Faults of every link; a link's own faults (`setLinkFaults`) override them field by field. */
  setFaults(faults: Faults): void {
    this.core.faults.set(faults);
  }

  /** Faults of messages from `from` to `to` only (the other direction keeps its own). */
  setLinkFaults(from: string, to: string, faults: Faults): void {
    this.core.faults.setLink(from, to, faults);
  }

  /** Removes every fault, network-wide and per link. Partitions stay until `heal`. */
  clearFaults(): void {
    this.core.faults.clear();
  }

  /**
   * Messages between the two sides are lost, those on their way included, silently, as on a real network:
   * connections stay open (noticing is the job of heartbeats above), and new connects across fail with
   * `ConnectFailedError`. Partitions add up until `heal`.
   */
  partition(sideA: readonly string[], sideB: readonly string[]): void {
    this.core.partitions.partition(sideA, sideB);
  }

  /** Partitions `address` from every other node, including nodes that join later. */
  isolate(address: string): void {
    this.core.partitions.isolate(address);
  }

  /** Ends every partition and isolation; open connections carry messages again. */
  heal(): void {
    this.core.partitions.heal();
  }

  /**
   * The node at `address` vanishes: its connections close at once (1006 on both ends, messages on their way
   * lost), its transport refuses everything, and the address is free for a restarted node.
   *
   * @returns false when no transport held the address.
   */
  crash(address: string): boolean {
    const node = this.core.nodes.get(address);
    if (!node) return false;
    node.crash();
    return true;
  }

  stats(): NetworkStats {
    return { ...this.core.counters };
  }

  /**
   * Ends everything at once, for the end of a test: every transport closes, every pending connect rejects with
   * `TransportClosedError`, every message on its way is dropped and every pending timer cancelled. No listener
   * is called any more.
   */
  shutdown(): void {
    if (this.core.shutDown) return;
    this.core.shutDown = true;
    for (const node of [...this.core.nodes.values()]) node.halt();
    for (const link of [...this.core.links]) link.halt();
    for (const dial of [...this.core.dials]) dial.fail(new TransportClosedError());
    this.core.dials.clear();
    this.ownScheduler?.dispose();
  }
}
