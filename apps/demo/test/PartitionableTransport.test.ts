import { afterEach, describe, expect, it } from '@jest/globals';
import { SimulatedClock } from '@troupe/core';
import { type Connection, ConnectFailedError } from '@troupe/transport';
import { MemoryNetwork } from '@troupe/transport-memory';
import { PartitionableTransport } from '../src';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Three nodes on a memory network, each behind a PartitionableTransport, recording what they receive. */
async function threeNodes(net: MemoryNetwork) {
  const received: Record<string, string[]> = { a: [], b: [], c: [] };
  const inbound: Record<string, string[]> = { a: [], b: [], c: [] };
  const nodes: Record<string, PartitionableTransport> = {};
  for (const name of ['a', 'b', 'c']) {
    const t = new PartitionableTransport(net.transport({ address: name }));
    await t.listen(
      { system: 'demo', incarnation: `${name}-1` },
      {
        onConnection: (conn: Connection) => {
          if (conn.inbound) inbound[name].push(conn.peer.address);
          conn.onMessage((m) => received[name].push(`${conn.peer.address}:${new TextDecoder().decode(m)}`));
        },
      },
    );
    nodes[name] = t;
  }
  return { nodes, received, inbound };
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe('PartitionableTransport', () => {
  let net: MemoryNetwork;
  afterEach(() => net.shutdown());

  it('passes messages through and counts them per peer while nothing is blocked', async () => {
    net = new MemoryNetwork({ clock: new SimulatedClock(), seed: 1 });
    const { nodes, received } = await threeNodes(net);
    const ab = await nodes.a.connect('b');
    expect(ab.send(bytes('one'))).toBe('ok');
    expect(ab.send(bytes('two'))).toBe('ok');
    (await nodes.a.connect('c')).send(bytes('three'));
    await tick();
    expect(received.b).toEqual(['a:one', 'a:two']);
    expect(received.c).toEqual(['a:three']);
    expect(nodes.a.sentTo()).toEqual({ b: 2, c: 1 });
  });

  it('closes the connections to a blocked peer, refuses to dial it, and keeps the other peers', async () => {
    net = new MemoryNetwork({ clock: new SimulatedClock(), seed: 2 });
    const { nodes, received } = await threeNodes(net);
    const ab = await nodes.a.connect('b');
    const ac = await nodes.a.connect('c');
    const closed: number[] = [];
    ab.onClose((info) => closed.push(info.code));

    nodes.a.block(['b']);
    await tick();
    expect(closed).toHaveLength(1);
    expect(nodes.a.blocked()).toEqual(['b']);
    const refused = await nodes.a.connect('b').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConnectFailedError);
    expect((refused as ConnectFailedError).code).toBe('TRANSPORT_ERR_CONNECT');
    expect(ac.send(bytes('still here'))).toBe('ok');
    await tick();
    expect(received.c).toEqual(['a:still here']);
    expect(received.b).toEqual([]);
  });

  it('turns away a blocked peer that dials in: the connection never reaches the handler', async () => {
    net = new MemoryNetwork({ clock: new SimulatedClock(), seed: 3 });
    const { nodes, inbound } = await threeNodes(net);
    nodes.a.block(['b']);
    const closed: number[] = [];
    // b does not block a, so its handshake completes; a then drops the connection at once.
    const ba = await nodes.b.connect('a');
    ba.onClose((info) => closed.push(info.code));
    await tick();
    expect(inbound.a).toEqual([]);
    expect(closed).toHaveLength(1);
    expect(ba.send(bytes('lost'))).toBe('closed');
  });

  it('lets everything through again after heal', async () => {
    net = new MemoryNetwork({ clock: new SimulatedClock(), seed: 4 });
    const { nodes, received } = await threeNodes(net);
    nodes.a.block(['b', 'c']);
    await expect(nodes.a.connect('c')).rejects.toBeInstanceOf(ConnectFailedError);
    nodes.a.heal();
    expect(nodes.a.blocked()).toEqual([]);
    const ab = await nodes.a.connect('b');
    ab.send(bytes('back'));
    await tick();
    expect(received.b).toEqual(['a:back']);
    expect(nodes.a.sentTo()).toEqual({ b: 1 });
  });
});
