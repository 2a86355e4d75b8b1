import { createActorSystem, receiveMessage, SimulatedClock } from '@troupe/core';
import { type RemoteNode, startRemoting } from '@troupe/remote';
import type { CloseInfo, Connection } from '@troupe/transport';
import { MemoryNetwork } from '@troupe/transport-memory';
import { createNodeMetrics, instrumentTransport, type NodeMetrics, type TransportMeter } from '../src';
import { parseExposition, valueOf } from './manualSystem';

/** A meter that just adds up, to check the decorator on its own. */
function tally(): TransportMeter & { opened: number; closed: number; sent: number; received: number } {
  const t = {
    opened: 0,
    closed: 0,
    sent: 0,
    received: 0,
    connectionOpened: () => void t.opened++,
    connectionClosed: () => void t.closed++,
    bytesSent: (n: number) => void (t.sent += n),
    bytesReceived: (n: number) => void (t.received += n),
  };
  return t;
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await flush();
  if (!condition()) throw new Error('condition never held');
}

describe('instrumentTransport', () => {
  let net: MemoryNetwork;
  beforeEach(() => {
    net = new MemoryNetwork({ seed: 1 });
  });
  afterEach(() => net.shutdown());

  async function pair(meterA: TransportMeter, meterB: TransportMeter) {
    const a = instrumentTransport(net.transport({ address: 'a' }), meterA);
    const b = instrumentTransport(net.transport({ address: 'b' }), meterB);
    const inbound: Connection[] = [];
    const outbound: Connection[] = [];
    await b.listen({ system: 's', incarnation: 'b1' }, { onConnection: (c) => inbound.push(c) });
    await a.listen({ system: 's', incarnation: 'a1' }, { onConnection: (c) => outbound.push(c) });
    const conn = await a.connect('b');
    await until(() => inbound.length === 1);
    return { a, b, conn, inbound: inbound[0], outbound };
  }

  it('hands out the same connection to connect() and onConnection, so identity checks above still hold', async () => {
    const { conn, outbound } = await pair(tally(), tally());
    expect(outbound).toEqual([conn]);
    expect(outbound[0]).toBe(conn);
  });

  it('counts the bytes of messages sent and received, and passes them through unchanged', async () => {
    const ma = tally();
    const mb = tally();
    const { conn, inbound } = await pair(ma, mb);
    const got: number[][] = [];
    inbound.onMessage((m) => got.push([...m]));
    expect(conn.send(new Uint8Array([1, 2, 3]))).toBe('ok');
    expect(conn.send(new Uint8Array(100))).toBe('ok');
    await until(() => got.length === 2);
    expect(got[0]).toEqual([1, 2, 3]);
    expect(ma.sent).toBe(103);
    expect(mb.received).toBe(103);
    expect(ma.received).toBe(0);
    expect(mb.sent).toBe(0);
  });

  it('does not count a message the transport refuses', async () => {
    const ma = tally();
    const a = instrumentTransport(net.transport({ address: 'a', maxMessageBytes: 10 }), ma);
    const b = net.transport({ address: 'b' });
    await b.listen({ system: 's', incarnation: 'b1' }, { onConnection: () => undefined });
    await a.listen({ system: 's', incarnation: 'a1' }, { onConnection: () => undefined });
    const conn = await a.connect('b');
    expect(conn.send(new Uint8Array(11))).toBe('too-large');
    expect(ma.sent).toBe(0);
  });

  it('counts a connection open until it closes, and still tells the application of the close', async () => {
    const ma = tally();
    const mb = tally();
    const { conn, inbound } = await pair(ma, mb);
    expect([ma.opened, mb.opened]).toEqual([1, 1]);
    const closes: CloseInfo[] = [];
    conn.onClose((info) => closes.push(info));
    await conn.close(1000, 'bye');
    await until(() => mb.closed === 1 && closes.length === 1);
    expect(ma.closed).toBe(1);
    expect(closes[0].code).toBe(1000);
    // Closed before anyone listened on this side: a late listener still hears of it, once.
    const late: CloseInfo[] = [];
    inbound.onClose((info) => late.push(info));
    await until(() => late.length === 1);
    expect(late[0].code).toBe(1000);
  });

  it('passes transport events through to the handler', async () => {
    const events: string[] = [];
    const a = instrumentTransport(net.transport({ address: 'a' }), tally());
    const b = net.transport({ address: 'b' });
    await b.listen({ system: 's', incarnation: 'b1' }, { onConnection: () => undefined });
    await a.listen(
      { system: 's', incarnation: 'a1' },
      { onConnection: () => undefined, onEvent: (e) => events.push(e.type) },
    );
    const conn = await a.connect('b');
    await conn.close();
    await until(() => events.includes('connection-closed'));
  });
});

describe('node metrics over remoting', () => {
  const nodes: RemoteNode[] = [];
  const metrics: NodeMetrics[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.shutdown()));
    for (const m of metrics.splice(0)) m.stop();
  });

  it('counts connections and bytes in and out of two nodes talking over transport-memory', async () => {
    // Virtual time that nobody advances: no heartbeats, so the only traffic is what the test causes.
    const clock = new SimulatedClock();
    const net = new MemoryNetwork({ seed: 1, clock });
    const start = async (name: string) => {
      const system = createActorSystem({ name: 'shop', clock, logLevel: 'off' });
      const m = createNodeMetrics({ system, labels: { node: name } });
      metrics.push(m);
      const node = await startRemoting({
        system,
        transport: m.instrumentTransport(net.transport({ address: name })),
      });
      nodes.push(node);
      return { node, m };
    };
    const a = await start('a');
    const b = await start('b');
    const got: string[] = [];
    b.node.system.spawn(
      receiveMessage<string>((s) => void got.push(s)),
      'sink',
    );
    const sink = a.node.refFor<string>(`${b.node.address}/user/sink`);
    sink.tell('hello');
    await until(() => got.length === 1);
    const read = async (x: { m: NodeMetrics }) => parseExposition(await x.m.metricsText()).samples;
    const [a1, b1] = [await read(a), await read(b)];
    expect(valueOf(a1, 'troupe_transport_connections', { node: 'a' })).toBe(1);
    expect(valueOf(b1, 'troupe_transport_connections', { node: 'b' })).toBe(1);
    const sentA1 = valueOf(a1, 'troupe_transport_bytes_sent_total');
    expect(sentA1).toBeGreaterThan(0);
    expect(valueOf(b1, 'troupe_transport_bytes_received_total')).toBe(sentA1);
    expect(valueOf(a1, 'troupe_transport_bytes_received_total')).toBe(
      valueOf(b1, 'troupe_transport_bytes_sent_total'),
    );

    const big = 'x'.repeat(1000);
    for (let i = 0; i < 10; i++) sink.tell(big);
    await until(() => got.length === 11);
    const [a2, b2] = [await read(a), await read(b)];
    const sentA2 = valueOf(a2, 'troupe_transport_bytes_sent_total');
    expect(sentA2 - sentA1).toBeGreaterThanOrEqual(10_000);
    expect(valueOf(b2, 'troupe_transport_bytes_received_total')).toBe(sentA2);
    expect(valueOf(b2, 'troupe_messages_handled_total')).toBeGreaterThanOrEqual(11);

    await a.node.shutdown();
    let open = [1, 1];
    for (let i = 0; i < 100 && open.some((n) => n !== 0); i++) {
      await flush();
      open = [
        valueOf(await read(a), 'troupe_transport_connections'),
        valueOf(await read(b), 'troupe_transport_connections'),
      ];
    }
    expect(open).toEqual([0, 0]);
  });
});
