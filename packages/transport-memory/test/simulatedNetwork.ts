import { SimulatedClock } from '@troupe/core';
import type { CloseInfo, Connection, NodeIdentity, TransportEvent } from '@troupe/transport';
import {
  MemoryNetwork,
  type MemoryNetworkOptions,
  type MemoryTransport,
  type MemoryTransportOptions,
} from '../src';

/** One message as a node received it. */
export interface Arrival {
  from: string;
  to: string;
  bytes: Uint8Array;
  /** Virtual time of the arrival. */
  at: number;
}

export interface SimNode {
  transport: MemoryTransport;
  identity: NodeIdentity;
  address: string;
  /** Every connection handed to onConnection, in order. */
  connections: Connection[];
  arrivals: Arrival[];
  closes: (CloseInfo & { peer: string })[];
  events: TransportEvent[];
  /** Payloads (as numbers, see `num`) received from one peer, in order. */
  from(peer: string): number[];
}

export interface NodeOptions extends MemoryTransportOptions {
  system?: string;
  incarnation?: string;
  /** Called on each arrival; a number returned is sent back to the sender (as `msg`). */
  echo?: (n: number) => number | undefined;
}

export interface SimNet {
  net: MemoryNetwork;
  clock: SimulatedClock;
  /** Every arrival on the network, in order. */
  arrivals: Arrival[];
  node(options?: NodeOptions): Promise<SimNode>;
  /** Connects `a` to `b` and lets the handshake finish; returns both ends. */
  connect(a: SimNode, b: SimNode): Promise<[Connection, Connection]>;
  /** Runs every step due now (handshakes, undelayed arrivals, close notifications); time does not move. */
  settle(): Promise<void>;
  /** Moves virtual time by `ms`, settling after every timer that fires. */
  advance(ms: number): Promise<void>;
  /** Fires timers and settles until nothing is left pending. */
  runUntilQuiet(): Promise<void>;
}

const networks: MemoryNetwork[] = [];

afterEach(() => {
  for (const net of networks.splice(0)) net.shutdown();
});

/** A 4-byte message carrying `n`. */
export function msg(n: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, n);
  return bytes;
}

/** The number `msg` put in a message. */
export function num(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
}

let incarnations = 0;

/** A network on virtual time; shut down after the test. */
export function simulatedNetwork(options: Omit<MemoryNetworkOptions, 'clock'> = {}): SimNet {
  const clock = new SimulatedClock();
  const net = new MemoryNetwork({ ...options, clock });
  networks.push(net);
  const arrivals: Arrival[] = [];

  // The network's undelayed steps ride on setImmediate; a step may schedule another (an arrival ends a close,
  // which notifies), so a few turns let every chain in these tests run out.
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  const sim: SimNet = {
    net,
    clock,
    arrivals,
    async node(opts = {}) {
      const { system = 'sim', incarnation = `inc-${++incarnations}`, echo, ...transportOptions } = opts;
      const transport = net.transport(transportOptions);
      const n: SimNode = {
        transport,
        identity: undefined as never,
        address: transport.address,
        connections: [],
        arrivals: [],
        closes: [],
        events: [],
        from: (peer) => n.arrivals.filter((a) => a.from === peer).map((a) => num(a.bytes)),
      };
      n.identity = await transport.listen(
        { system, incarnation },
        {
          onConnection: (c) => {
            n.connections.push(c);
            c.onMessage((bytes) => {
              const arrival = { from: c.peer.address, to: n.address, bytes, at: clock.now() };
              n.arrivals.push(arrival);
              arrivals.push(arrival);
              const answer = echo?.(num(bytes));
              if (answer !== undefined) c.send(msg(answer));
            });
            c.onClose((info) => n.closes.push({ ...info, peer: c.peer.address }));
          },
          onEvent: (e) => n.events.push(e),
        },
      );
      return n;
    },
    async connect(a, b) {
      const ours = await a.transport.connect(b.address);
      await settle();
      const theirs = b.connections.find((c) => c.peer.address === a.address && c.inbound);
      if (!theirs) throw new Error(`${b.address} did not see ${a.address}'s connection`);
      return [ours, theirs];
    },
    settle,
    async advance(ms) {
      const until = clock.now() + ms;
      await settle();
      for (let next = clock.nextTimerAt(); next !== undefined && next <= until; next = clock.nextTimerAt()) {
        clock.advanceTo(next);
        await settle();
      }
      clock.advanceTo(until);
      await settle();
    },
    async runUntilQuiet() {
      await settle();
      for (let next = clock.nextTimerAt(); next !== undefined; next = clock.nextTimerAt()) {
        clock.advanceTo(next);
        await settle();
      }
    },
  };
  return sim;
}
