import { type Connection, CloseCodes } from '@troupe/transport';
import { cleanup, closeOf, dialAuthenticated, nextMessage, startNode, type TestNode } from './rawPeer';

afterEach(cleanup);

async function roundTrip(from: Connection, to: Connection): Promise<void> {
  const received = nextMessage(to);
  expect(from.send(new Uint8Array([9]))).toBe('ok');
  expect([...(await received)]).toEqual([9]);
}

describe('one connection per pair of nodes', () => {
  it('keeps the connection dialled by the lower address when two nodes dial each other at once, and hands out only that one', async () => {
    for (let round = 0; round < 10; round++) {
      const a = await startNode();
      const b = await startNode();
      const [ca, cb] = await Promise.all([
        a.transport.connect(b.identity.address),
        b.transport.connect(a.identity.address),
      ]);
      const lower: TestNode = a.identity.address < b.identity.address ? a : b;
      expect(ca.inbound).toBe(lower !== a);
      expect(cb.inbound).toBe(lower !== b);
      await Promise.race([
        a.event((e) => e.type === 'duplicate-connection'),
        b.event((e) => e.type === 'duplicate-connection'),
      ]);
      await roundTrip(ca, cb);
      await roundTrip(cb, ca);
      expect(a.connections).toEqual([ca]);
      expect(b.connections).toEqual([cb]);
      await cleanup();
    }
  });

  it('shares one dial between concurrent connect calls to the same address', async () => {
    const a = await startNode();
    const b = await startNode();
    const [c1, c2] = await Promise.all([
      a.transport.connect(b.identity.address),
      a.transport.connect(b.identity.address),
    ]);
    expect(c2).toBe(c1);
    await b.connection();
    expect(b.connections).toHaveLength(1);
  });

  it('replaces the older connection with 4006 when the same peer dials again', async () => {
    const listener = await startNode();
    const first = await dialAuthenticated(listener.identity.address);
    const firstConn = await listener.connection(1);
    const firstClosed = closeOf(firstConn);
    const second = await dialAuthenticated(listener.identity.address, { identity: first.identity });
    const secondConn = await listener.connection(2);

    expect((await first.peer.closed).code).toBe(CloseCodes.duplicateConnection);
    expect((await firstClosed).code).toBe(CloseCodes.duplicateConnection);
    const event = await listener.event((e) => e.type === 'duplicate-connection');
    expect(event.peer).toBe(first.identity.address);
    expect(await listener.transport.connect(first.identity.address)).toBe(secondConn);
    expect(secondConn.send(new Uint8Array([1]))).toBe('ok');
    expect((await second.peer.next()).isBinary).toBe(true);
  });

  it('replaces the connection of a restarted peer (same address, new incarnation)', async () => {
    const listener = await startNode();
    const old = await dialAuthenticated(listener.identity.address);
    const oldClosed = closeOf(await listener.connection(1));
    const restarted = { ...old.identity, incarnation: `${old.identity.incarnation}-again` };
    await dialAuthenticated(listener.identity.address, { identity: restarted });
    const current = await listener.connection(2);

    expect((await oldClosed).code).toBe(CloseCodes.duplicateConnection);
    expect(current.peer).toEqual(restarted);
    expect(await listener.transport.connect(restarted.address)).toBe(current);
  });
});
