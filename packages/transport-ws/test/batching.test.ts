import { BatchFramer } from '../src/internal/BatchFramer';
import { batch, cleanup, dialAuthenticated, startNode } from './rawPeer';

afterEach(cleanup);

function numbered(i: number, size = 8): Uint8Array {
  const message = new Uint8Array(size);
  new DataView(message.buffer).setUint32(0, i);
  return message;
}

function numberOf(message: Uint8Array): number {
  return new DataView(message.buffer, message.byteOffset, message.byteLength).getUint32(0);
}

describe('batching', () => {
  it('carries many messages sent in one tick in one WebSocket frame, and the next tick in the next frame', async () => {
    const listener = await startNode();
    const { peer } = await dialAuthenticated(listener.identity.address);
    const conn = await listener.connection();
    const handshakeFrames = peer.received;
    for (let i = 0; i < 500; i++) expect(conn.send(numbered(i))).toBe('ok');
    expect(conn.bufferedAmount).toBe(500 * 12);

    const first = await peer.next();
    expect(first.isBinary).toBe(true);
    expect(BatchFramer.decode(first.data)!.map(numberOf)).toEqual([...Array(500).keys()]);

    conn.send(numbered(500));
    const second = await peer.next();
    expect(BatchFramer.decode(second.data)!.map(numberOf)).toEqual([500]);
    expect(peer.received - handshakeFrames).toBe(2);
  });

  it('flushes at the end of the turn: sends from the promise jobs of the same turn share its frame', async () => {
    const listener = await startNode();
    const { peer } = await dialAuthenticated(listener.identity.address);
    const conn = await listener.connection();
    const handshakeFrames = peer.received;
    const sendLater = async (i: number) => {
      await Promise.resolve();
      conn.send(numbered(i));
    };
    conn.send(numbered(0));
    const jobs = [sendLater(1), sendLater(2)];
    await Promise.all(jobs);

    const frame = await peer.next();
    expect(BatchFramer.decode(frame.data)!.map(numberOf)).toEqual([0, 1, 2]);
    expect(peer.received - handshakeFrames).toBe(1);
  });

  it('writes what was queued as one frame at flush(), and what is sent after it in the same tick as the next frame', async () => {
    const listener = await startNode();
    const { peer } = await dialAuthenticated(listener.identity.address);
    const conn = await listener.connection();
    const handshakeFrames = peer.received;
    conn.send(numbered(0));
    conn.send(numbered(1));
    conn.flush!();
    // Without the flush, all three would share the tick's one frame.
    conn.send(numbered(2));

    expect(BatchFramer.decode((await peer.next()).data)!.map(numberOf)).toEqual([0, 1]);
    expect(BatchFramer.decode((await peer.next()).data)!.map(numberOf)).toEqual([2]);
    expect(peer.received - handshakeFrames).toBe(2);
  });

  it('writes a batch as soon as it reaches batchBytes and keeps order across batches', async () => {
    const listener = await startNode({ batchBytes: 1024 });
    const { peer } = await dialAuthenticated(listener.identity.address);
    const conn = await listener.connection();
    // 104 bytes per message with its prefix: nine fit in 1024, so 100 messages make 12 frames.
    for (let i = 0; i < 100; i++) expect(conn.send(numbered(i, 100))).toBe('ok');
    // Eleven full batches were handed to the socket within the tick; only the last one is still queued.
    expect(conn.bufferedAmount).toBeLessThan(1024 + 11 * 1024);

    const got: number[] = [];
    const sizes: number[] = [];
    while (got.length < 100) {
      const frame = await peer.next();
      sizes.push(frame.data.length);
      got.push(...BatchFramer.decode(frame.data)!.map(numberOf));
    }
    expect(got).toEqual([...Array(100).keys()]);
    expect(sizes).toHaveLength(12);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1024);
  });

  it('sends a message bigger than a batch in a frame of its own', async () => {
    const listener = await startNode({ batchBytes: 1024 });
    const { peer } = await dialAuthenticated(listener.identity.address);
    const conn = await listener.connection();
    conn.send(numbered(0));
    conn.send(numbered(1, 5000));
    conn.send(numbered(2));
    const frames = [await peer.next(), await peer.next(), await peer.next()];
    expect(frames.map((f) => BatchFramer.decode(f.data)!.map(numberOf))).toEqual([[0], [1], [2]]);
    expect(frames[1].data.length).toBe(5004);
  });

  it('delivers each message of a received batch, in order, including empty ones', async () => {
    const listener = await startNode();
    const { peer } = await dialAuthenticated(listener.identity.address);
    const conn = await listener.connection();
    const received: Uint8Array[] = [];
    const all = new Promise<void>((resolve) => conn.onMessage((m) => received.push(m) === 4 && resolve()));
    peer.send(batch(new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3])));
    peer.send(batch(new Uint8Array([4])));
    await all;
    expect(received.map((m) => [...m])).toEqual([[1], [], [2, 3], [4]]);
  });

  it('keeps messages that arrive before a listener is set, for the first listener', async () => {
    const listener = await startNode();
    const { peer } = await dialAuthenticated(listener.identity.address);
    const conn = await listener.connection();
    peer.send(batch(new Uint8Array([1]), new Uint8Array([2])));
    // The pong comes back after the batch was read, since both travel the same socket in order.
    await new Promise<void>((resolve) => {
      peer.ws.once('pong', () => resolve());
      peer.ws.ping();
    });
    const received: number[] = [];
    conn.onMessage((m) => received.push(m[0]));
    expect(received).toEqual([1, 2]);
  });

  it('hands early messages to whichever listener is current, also when a listener replaces itself', async () => {
    const listener = await startNode();
    const { peer } = await dialAuthenticated(listener.identity.address);
    const conn = await listener.connection();
    peer.send(batch(new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])));
    await new Promise<void>((resolve) => {
      peer.ws.once('pong', () => resolve());
      peer.ws.ping();
    });
    const first: number[] = [];
    const second: number[] = [];
    conn.onMessage((m) => {
      first.push(m[0]);
      conn.onMessage((n) => second.push(n[0]));
    });
    expect(first).toEqual([1]);
    expect(second).toEqual([2, 3]);
  });

  it('lets the caller reuse its array as soon as send returns', async () => {
    const listener = await startNode();
    const { peer } = await dialAuthenticated(listener.identity.address);
    const conn = await listener.connection();
    const reused = new Uint8Array([1]);
    conn.send(reused);
    reused[0] = 2;
    conn.send(reused);
    const frame = await peer.next();
    expect(BatchFramer.decode(frame.data)!.map((m) => m[0])).toEqual([1, 2]);
  });
});
