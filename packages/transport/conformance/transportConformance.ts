/**
 * The byte-level conformance suite every Troupe transport passes. A transport's own test file calls
 * `describeTransportConformance('memory', factory)` with a factory that makes transports able to reach each
 * other (same in-memory network, or loopback sockets with the same secret).
 */
import {
  type Connection,
  ConnectFailedError,
  type NodeIdentity,
  SystemMismatchError,
  type Transport,
  TransportClosedError,
} from '../src';

export interface ConformanceFactory {
  /** A new transport for one node. `maxMessageBytes` must be honoured when given. */
  create(options?: { maxMessageBytes?: number }): Transport;
  /** An address where nobody listens. */
  deadAddress(): string;
  /** Called after each test, after every transport was closed. */
  cleanup?(): Promise<void>;
}

interface Node {
  transport: Transport;
  identity: NodeIdentity;
  connections: Connection[];
  received: Map<string, Uint8Array[]>;
  closed: { peer: string; code: number }[];
  /** Connections handed over and not yet closed. */
  open: Set<Connection>;
}

/** Polls until `check` is true; fails after `ms` of real time. */
export async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

let seq = 0;

export function describeTransportConformance(name: string, factory: ConformanceFactory): void {
  describe(`${name} transport (conformance)`, () => {
    const transports: Transport[] = [];

    const node = async (system = 'conf', options?: { maxMessageBytes?: number }): Promise<Node> => {
      const transport = factory.create(options);
      transports.push(transport);
      const n: Node = {
        transport,
        identity: undefined as never,
        connections: [],
        received: new Map(),
        closed: [],
        open: new Set(),
      };
      n.identity = await transport.listen(
        { system, incarnation: `inc-${++seq}` },
        {
          onConnection: (c) => {
            n.connections.push(c);
            n.open.add(c);
            const list: Uint8Array[] = n.received.get(c.peer.address) ?? [];
            n.received.set(c.peer.address, list);
            c.onMessage((m) => list.push(m));
            c.onClose((info) => {
              n.open.delete(c);
              n.closed.push({ peer: c.peer.address, code: info.code });
            });
          },
        },
      );
      return n;
    };

    afterEach(async () => {
      await Promise.all(transports.splice(0).map((t) => t.close()));
      await factory.cleanup?.();
    });

    it('connects two nodes and tells each side who the other is', async () => {
      const a = await node();
      const b = await node();
      const conn = await a.transport.connect(b.identity.address);
      expect(conn.peer).toEqual(b.identity);
      expect(conn.inbound).toBe(false);
      await eventually(() => b.connections.length === 1);
      expect(b.connections[0].peer).toEqual(a.identity);
      expect(b.connections[0].inbound).toBe(true);
      expect(a.connections).toEqual([conn]);
    });

    it('delivers every message whole and in order, both ways', async () => {
      const a = await node();
      const b = await node();
      const conn = await a.transport.connect(b.identity.address);
      await eventually(() => b.connections.length === 1);
      const sent: number[] = [];
      for (let i = 0; i < 1000; i++) {
        const size = (i * 37) % 3000;
        const msg = new Uint8Array(size + 4);
        new DataView(msg.buffer).setUint32(0, i);
        msg.fill(i & 0xff, 4);
        expect(conn.send(msg)).toBe('ok');
        sent.push(size + 4);
      }
      b.connections[0].send(new Uint8Array([42]));
      await eventually(() => (b.received.get(a.identity.address)?.length ?? 0) === 1000);
      const got = b.received.get(a.identity.address)!;
      got.forEach((m, i) => {
        expect(m.length).toBe(sent[i]);
        expect(new DataView(m.buffer, m.byteOffset, m.byteLength).getUint32(0)).toBe(i);
        if (m.length > 4) expect(m[m.length - 1]).toBe(i & 0xff);
      });
      await eventually(() => (a.received.get(b.identity.address)?.length ?? 0) === 1);
      expect([...a.received.get(b.identity.address)![0]]).toEqual([42]);
    });

    it('keeps one connection per pair: connecting twice gives the same connection', async () => {
      const a = await node();
      const b = await node();
      const c1 = await a.transport.connect(b.identity.address);
      const c2 = await a.transport.connect(b.identity.address);
      expect(c2).toBe(c1);
      await eventually(() => b.connections.length === 1);
      const back = await b.transport.connect(a.identity.address);
      expect(back).toBe(b.connections[0]);
    });

    it('ends up with one working connection when two nodes dial each other at once', async () => {
      const a = await node();
      const b = await node();
      await Promise.all([a.transport.connect(b.identity.address), b.transport.connect(a.identity.address)]);
      // Whatever the race did, once it settles each side holds exactly one open connection to the other.
      await eventually(() => a.open.size === 1 && b.open.size === 1);
      await new Promise((r) => setTimeout(r, 50));
      expect(a.open.size).toBe(1);
      expect(b.open.size).toBe(1);
      const liveA = await a.transport.connect(b.identity.address);
      const liveB = await b.transport.connect(a.identity.address);
      expect(a.open.has(liveA)).toBe(true);
      expect(b.open.has(liveB)).toBe(true);
      expect(liveA.send(new Uint8Array([1]))).toBe('ok');
      expect(liveB.send(new Uint8Array([2]))).toBe('ok');
      await eventually(() => (b.received.get(a.identity.address) ?? []).some((m) => m[0] === 1));
      await eventually(() => (a.received.get(b.identity.address) ?? []).some((m) => m[0] === 2));
    });

    it('flushes what was sent before a graceful close, then closes both sides', async () => {
      const a = await node();
      const b = await node();
      const conn = await a.transport.connect(b.identity.address);
      for (let i = 0; i < 100; i++) conn.send(new Uint8Array([i]));
      await conn.close(1000, 'bye');
      await eventually(() => b.closed.length === 1);
      expect(b.received.get(a.identity.address)!.map((m) => m[0])).toEqual([...Array(100).keys()]);
      expect(conn.send(new Uint8Array([1]))).toBe('closed');
      expect(a.closed.length).toBe(1);
    });

    it('tells both sides when a connection is terminated', async () => {
      const a = await node();
      const b = await node();
      const conn = await a.transport.connect(b.identity.address);
      await eventually(() => b.connections.length === 1);
      conn.terminate();
      await eventually(() => a.closed.length === 1 && b.closed.length === 1);
      expect(conn.send(new Uint8Array([1]))).toBe('closed');
    });

    it('opens a new connection after the old one closed', async () => {
      const a = await node();
      const b = await node();
      const first = await a.transport.connect(b.identity.address);
      await first.close();
      await eventually(() => b.closed.length === 1);
      const second = await a.transport.connect(b.identity.address);
      expect(second).not.toBe(first);
      expect(second.send(new Uint8Array([7]))).toBe('ok');
      await eventually(
        () => b.connections.length === 2 && (b.received.get(a.identity.address)?.length ?? 0) === 1,
      );
    });

    it('refuses to connect to an address where nobody listens, with ConnectFailedError', async () => {
      const a = await node();
      await expect(a.transport.connect(factory.deadAddress())).rejects.toBeInstanceOf(ConnectFailedError);
    });

    it('refuses a peer of another actor system with SystemMismatchError, and neither side sees a connection', async () => {
      const a = await node('one');
      const b = await node('two');
      const err = await a.transport.connect(b.identity.address).catch((e) => e);
      expect(err).toBeInstanceOf(SystemMismatchError);
      expect(err.code).toBe('TRANSPORT_ERR_SYSTEM_MISMATCH');
      await new Promise((r) => setTimeout(r, 20));
      expect(a.connections).toEqual([]);
      expect(b.connections).toEqual([]);
    });

    it('says what its size limit is, and refuses a message over it without closing the connection', async () => {
      const a = await node('conf', { maxMessageBytes: 1024 });
      const b = await node('conf', { maxMessageBytes: 1024 });
      const conn = await a.transport.connect(b.identity.address);
      expect(conn.maxMessageBytes).toBe(1024);
      expect(conn.send(new Uint8Array(1025))).toBe('too-large');
      expect(conn.send(new Uint8Array(1024))).toBe('ok');
      await eventually(() => (b.received.get(a.identity.address)?.length ?? 0) === 1);
    });

    it('closes every connection when the transport closes, and refuses to connect afterwards', async () => {
      const a = await node();
      const b = await node();
      await a.transport.connect(b.identity.address);
      await a.transport.close();
      await eventually(() => a.closed.length === 1 && b.closed.length === 1);
      await expect(a.transport.connect(b.identity.address)).rejects.toBeInstanceOf(TransportClosedError);
    });
  });
}
