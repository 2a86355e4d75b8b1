import type { FaultTable, ResolvedFaults } from './FaultTable';
import { NO_FAULTS } from './FaultTable';

/** @internal One copy of a message on its way. */
export interface Flight {
  readonly bytes: Uint8Array;
  /** False for a duplicate: only originals count in `bufferedAmount` and hold up a graceful close. */
  readonly original: boolean;
  /** Its scheduled arrival came; it is delivered once every flight before it is. */
  ready: boolean;
  /** Delivered or dropped; a later scheduled step for it does nothing. */
  settled: boolean;
}

/** An in-order queue compacts once this many delivered slots sit at its front. */
const COMPACT_AFTER = 1024;

/**
 * @internal One direction of a link. Flights in order wait in `ordered` until they and everything before them
 * arrived, whatever order the scheduler ran their arrivals in; reordered ones sit in `unordered` only so that a
 * close can find and drop them.
 */
export class Channel {
  bufferedBytes = 0;
  pendingOriginals = 0;
  pumping = false;
  readonly unordered = new Set<Flight>();
  private ordered: Flight[] = [];
  private head = 0;
  private faultsVersion = -1;
  private faults: ResolvedFaults = NO_FAULTS;

  constructor(
    readonly from: string,
    readonly to: string,
  ) {}

  faultsFrom(table: FaultTable): ResolvedFaults {
    if (this.faultsVersion !== table.version) {
      this.faults = table.resolve(this.from, this.to);
      this.faultsVersion = table.version;
    }
    return this.faults;
  }

  push(flight: Flight): void {
    this.ordered.push(flight);
  }

  /** The oldest in-order flight, if it may be delivered now. */
  shiftReady(): Flight | undefined {
    const flight = this.ordered[this.head];
    if (flight === undefined || !flight.ready) return undefined;
    this.ordered[this.head++] = undefined as never;
    if (this.head === this.ordered.length) {
      this.ordered = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.ordered.length) {
      this.ordered = this.ordered.slice(this.head);
      this.head = 0;
    }
    return flight;
  }

  /** Empties the channel, returning every flight still on its way. */
  takeAll(): Flight[] {
    const rest = this.ordered.slice(this.head);
    for (const flight of this.unordered) rest.push(flight);
    this.ordered = [];
    this.head = 0;
    this.unordered.clear();
    this.bufferedBytes = 0;
    this.pendingOriginals = 0;
    return rest;
  }
}
