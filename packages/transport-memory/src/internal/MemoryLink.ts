import type { CloseInfo, NodeIdentity, SendResult } from '@troupe/transport';
import { Channel, type Flight } from './Channel';
import type { ResolvedFaults } from './FaultTable';
import { MemoryConnection } from './MemoryConnection';
import type { MemoryNode } from './MemoryNode';
import type { NetworkCore } from './NetworkCore';

/** WebSocket's code for a connection lost without a close handshake; `CloseCodes` has no name for it. */
const ABNORMAL_CLOSURE = 1006;

/** A reordered message is held back this long beyond its delay, so that the next ones overtake it. */
const REORDER_HOLD_MIN_MS = 1;
const REORDER_HOLD_SPAN_MS = 9;

/**
 * @internal The one connection between two nodes: its two ends, a channel each way, and its life
 * (open → closing → closed). Every decision about a message (drop, duplicate, reorder, delay) is taken at
 * `send`, drawing on the network's random source in call order, so the same calls give the same faults.
 */
export class MemoryLink {
  state: 'open' | 'closing' | 'closed' = 'open';
  readonly dialerEnd: MemoryConnection;
  readonly acceptorEnd: MemoryConnection;
  private readonly forward: Channel;
  private readonly backward: Channel;
  /** Each side refuses what the other could not take: the handshake tells both limits. */
  readonly maxMessageBytes: number;
  private closeRequest: CloseInfo | undefined;
  private resolveClosed!: () => void;
  private readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(
    private readonly core: NetworkCore,
    readonly dialer: MemoryNode,
    dialerIdentity: NodeIdentity,
    readonly acceptor: MemoryNode,
    acceptorIdentity: NodeIdentity,
    /** When the link was made, in the network's dial/link sequence. */
    readonly seq: number,
  ) {
    this.forward = new Channel(dialer.address, acceptor.address);
    this.backward = new Channel(acceptor.address, dialer.address);
    this.dialerEnd = new MemoryConnection(this, dialer, acceptorIdentity, false, this.forward);
    this.acceptorEnd = new MemoryConnection(this, acceptor, dialerIdentity, true, this.backward);
    this.maxMessageBytes = Math.min(dialer.maxMessageBytes, acceptor.maxMessageBytes);
    core.links.add(this);
    dialer.links.add(this);
    acceptor.links.add(this);
    dialer.connections.set(acceptor.address, this.dialerEnd);
    acceptor.connections.set(dialer.address, this.acceptorEnd);
  }

  send(channel: Channel, maxBufferedBytes: number, message: Uint8Array): SendResult {
    if (this.state !== 'open') return 'closed';
    const size = message.byteLength;
    if (size > this.maxMessageBytes) return 'too-large';
    // One message always fits in an empty buffer, or a bound below the message size would block it forever.
    if (channel.bufferedBytes > 0 && channel.bufferedBytes + size > maxBufferedBytes) return 'backpressure';
    const { counters, random } = this.core;
    counters.sent++;
    if (this.core.partitions.blocked(channel.from, channel.to)) {
      counters.dropped++;
      return 'ok';
    }
    const faults = channel.faultsFrom(this.core.faults);
    if (faults.dropRate > 0 && random.next() < faults.dropRate) {
      counters.dropped++;
      return 'ok';
    }
    channel.bufferedBytes += size;
    channel.pendingOriginals++;
    // A copy: what the sender does with its buffer afterwards must not travel. `new Uint8Array(view)` copies
    // even from a Buffer, whose `slice` would share memory.
    this.launch(channel, faults, {
      bytes: new Uint8Array(message),
      original: true,
      ready: false,
      settled: false,
    });
    if (faults.duplicateRate > 0 && random.next() < faults.duplicateRate) {
      counters.duplicated++;
      this.launch(channel, faults, {
        bytes: new Uint8Array(message),
        original: false,
        ready: false,
        settled: false,
      });
    }
    return 'ok';
  }

  /** Starts a graceful close: both sides stop sending, what is on its way arrives, then both sides close. */
  close(code: number, reason: string): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closing';
      this.closeRequest = { code, reason };
      // A new connect to the peer must make a new link, not get this one, which refuses every send.
      this.unregister();
      this.finishIfFlushed();
    }
    return this.closed;
  }

  /** Closes at once, losing what is on its way: terminate, or a node that crashed. */
  abort(reason: string): void {
    if (this.state !== 'closed') this.finish({ code: ABNORMAL_CLOSURE, reason }, true);
  }

  /** Closes without telling anyone: the whole network is going away. */
  halt(): void {
    if (this.state !== 'closed') this.finish({ code: ABNORMAL_CLOSURE, reason: 'network shut down' }, false);
  }

  whenClosed(): Promise<void> {
    return this.closed;
  }

  private launch(channel: Channel, faults: ResolvedFaults, flight: Flight): void {
    const { random, scheduler } = this.core;
    this.core.counters.inFlight++;
    const delay = faults.delay === undefined ? 0 : faults.delay(random);
    if (faults.reorderRate > 0 && random.next() < faults.reorderRate) {
      channel.unordered.add(flight);
      const hold = REORDER_HOLD_MIN_MS + random.next() * REORDER_HOLD_SPAN_MS;
      scheduler.schedule(delay + hold, () => {
        channel.unordered.delete(flight);
        this.arrive(channel, flight);
      });
      return;
    }
    channel.push(flight);
    scheduler.schedule(delay, () => {
      flight.ready = true;
      this.pump(channel);
    });
  }

  /** Delivers the in-order flights that may go, oldest first. */
  private pump(channel: Channel): void {
    // A listener may make a scheduler that runs steps at once re-enter here; the outer loop does the work.
    if (channel.pumping) return;
    channel.pumping = true;
    try {
      for (let flight = channel.shiftReady(); flight; flight = channel.shiftReady())
        this.arrive(channel, flight);
    } finally {
      channel.pumping = false;
    }
  }

  private arrive(channel: Channel, flight: Flight): void {
    if (flight.settled) return;
    flight.settled = true;
    const counters = this.core.counters;
    counters.inFlight--;
    if (flight.original) {
      channel.bufferedBytes -= flight.bytes.byteLength;
      channel.pendingOriginals--;
    }
    // Checked again on arrival: a partition made while a message travels loses it, as on a real network.
    if (this.state === 'closed' || this.core.partitions.blocked(channel.from, channel.to)) {
      counters.dropped++;
    } else {
      counters.delivered++;
      (channel === this.forward ? this.acceptorEnd : this.dialerEnd).deliver(flight.bytes);
    }
    if (this.state === 'closing') this.finishIfFlushed();
  }

  private finishIfFlushed(): void {
    if (
      this.state === 'closing' &&
      this.forward.pendingOriginals === 0 &&
      this.backward.pendingOriginals === 0
    )
      this.finish(this.closeRequest!, true);
  }

  private finish(info: CloseInfo, notify: boolean): void {
    this.state = 'closed';
    this.unregister();
    this.core.links.delete(this);
    this.dialer.links.delete(this);
    this.acceptor.links.delete(this);
    const counters = this.core.counters;
    for (const channel of [this.forward, this.backward])
      for (const flight of channel.takeAll()) {
        if (flight.settled) continue;
        flight.settled = true;
        counters.inFlight--;
        counters.dropped++;
      }
    if (!notify) {
      this.resolveClosed();
      return;
    }
    // Listeners hear of it in a step of their own, never inside the send, close or terminate that caused it.
    this.core.scheduler.schedule(0, () => {
      if (!this.core.shutDown) {
        this.dialerEnd.notifyClosed(info);
        this.acceptorEnd.notifyClosed(info);
      }
      this.resolveClosed();
    });
  }

  private unregister(): void {
    if (this.dialer.connections.get(this.acceptor.address) === this.dialerEnd)
      this.dialer.connections.delete(this.acceptor.address);
    if (this.acceptor.connections.get(this.dialer.address) === this.acceptorEnd)
      this.acceptor.connections.delete(this.dialer.address);
  }
}
