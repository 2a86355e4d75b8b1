import { type Connection, CloseCodes } from '@troupe/transport';
import { BatchFramer } from '../src/internal/BatchFramer';
import { batch, cleanup, closeOf, dialAuthenticated, nextMessage, openRaw, startNode } from './rawPeer';

afterEach(cleanup);

async function expectWorks(from: Connection, to: Connection, byte: number): Promise<void> {
  const received = nextMessage(to);
  expect(from.send(new Uint8Array([byte]))).toBe('ok');
  expect([...(await received)]).toEqual([byte]);
}

describe('frame and message limits', () => {
  it('closes an authenticated peer that sends a frame over maxFrameBytes with 1009, while another connection keeps working', async () => {
    const listener = await startNode({ maxFrameBytes: 64 * 1024, maxMessageBytes: 1024 });
    const honest = await startNode();
    const honestConn = await honest.transport.connect(listener.identity.address);
    const honestInbound = await listener.connection(1);

    const { peer } = await dialAuthenticated(listener.identity.address);
    const rawConn = await listener.connection(2);
    const rawClosed = closeOf(rawConn);
    peer.send(batch(new Uint8Array(100 * 1024)));

    expect((await peer.closed).code).toBe(CloseCodes.messageTooBig);
    expect((await rawClosed).code).toBe(CloseCodes.messageTooBig);
    const event = await listener.event((e) => e.type === 'protocol-violation');
    expect(event.code).toBe('messageTooBig');
    await expectWorks(honestConn, honestInbound, 1);
    await expectWorks(honestInbound, honestConn, 2);
  });

  it('closes a peer that sends a frame over maxFrameBytes during the handshake with 1009', async () => {
    const listener = await startNode({ maxFrameBytes: 64 * 1024, maxMessageBytes: 1024 });
    const raw = await openRaw(listener.identity.address);
    raw.send(new Uint8Array(100 * 1024));
    expect((await raw.closed).code).toBe(CloseCodes.messageTooBig);
    expect(listener.connections).toEqual([]);
  });

  it('closes an authenticated peer that sends a malformed batch with 4001 and a protocol-violation event', async () => {
    const listener = await startNode();
    const { peer } = await dialAuthenticated(listener.identity.address);
    const conn = await listener.connection();
    const received: Uint8Array[] = [];
    conn.onMessage((m) => received.push(m));
    const closed = closeOf(conn);
    // A valid message, then a length prefix that points past the end of the frame.
    peer.send(Buffer.concat([batch(new Uint8Array([1])), Buffer.from([0, 0, 0, 10, 1, 2])]));

    expect((await peer.closed).code).toBe(CloseCodes.protocolViolation);
    expect((await closed).code).toBe(CloseCodes.protocolViolation);
    const event = await listener.event((e) => e.type === 'protocol-violation');
    expect(event.code).toBe('protocolViolation');
    expect(received).toEqual([]);
  });

  it('closes an authenticated peer that sends a text frame after the handshake with 4001', async () => {
    const listener = await startNode();
    const { peer } = await dialAuthenticated(listener.identity.address);
    const closed = closeOf(await listener.connection());
    peer.send('hello');
    expect((await peer.closed).code).toBe(CloseCodes.protocolViolation);
    expect((await closed).code).toBe(CloseCodes.protocolViolation);
  });
});

describe('backpressure', () => {
  it('refuses to queue beyond maxBufferedBytes for a peer that stopped reading, then delivers everything accepted once it reads again', async () => {
    const maxBufferedBytes = 256 * 1024;
    const size = 16 * 1024;
    const listener = await startNode({ maxBufferedBytes, maxMessageBytes: size, heartbeatIntervalMs: 0 });
    const { peer } = await dialAuthenticated(listener.identity.address);
    const conn = await listener.connection();
    peer.ws.pause();

    let accepted = 0;
    let refused = 0;
    let maxSeen = 0;
    // The kernel's socket buffers absorb a few MiB first; after that the outbound bound has to hold.
    for (let round = 0; round < 2000 && refused < 100; round++) {
      for (let i = 0; i < 32; i++) {
        const message = new Uint8Array(size);
        new DataView(message.buffer).setUint32(0, accepted);
        const result = conn.send(message);
        if (result === 'ok') accepted++;
        else {
          expect(result).toBe('backpressure');
          refused++;
        }
        maxSeen = Math.max(maxSeen, conn.bufferedAmount);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(refused).toBeGreaterThanOrEqual(100);
    expect(maxSeen).toBeLessThanOrEqual(maxBufferedBytes);
    expect(accepted * size).toBeLessThan(256 * 1024 * 1024);

    peer.ws.resume();
    let delivered = 0;
    while (delivered < accepted) {
      const frame = await peer.next();
      for (const message of BatchFramer.decode(frame.data)!) {
        expect(new DataView(message.buffer, message.byteOffset).getUint32(0)).toBe(delivered);
        delivered++;
      }
    }
    expect(delivered).toBe(accepted);
    expect(conn.send(new Uint8Array(size))).toBe('ok');
  });
});
