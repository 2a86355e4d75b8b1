import { CloseCodes } from '@troupe/transport';
import { cleanup, closeOf, dialAuthenticated, startNode } from './rawPeer';

afterEach(cleanup);

describe('heartbeats', () => {
  it('terminate a peer that stops answering pings with 4007 and a heartbeat-timeout event', async () => {
    const interval = 50;
    const listener = await startNode({ heartbeatIntervalMs: interval });
    const { peer, identity } = await dialAuthenticated(listener.identity.address);
    const closed = closeOf(await listener.connection());
    const paused = Date.now();
    peer.ws.pause();

    expect((await closed).code).toBe(CloseCodes.heartbeatTimeout);
    // Two unanswered intervals, give or take one tick of the heartbeat timer.
    const elapsed = Date.now() - paused;
    expect(elapsed).toBeGreaterThanOrEqual(interval);
    expect(elapsed).toBeLessThan(20 * interval);
    const event = await listener.event((e) => e.type === 'heartbeat-timeout');
    expect(event.peer).toBe(identity.address);
    expect(event.code).toBe('heartbeatTimeout');
  });

  it('keep a peer that answers pings connected', async () => {
    const listener = await startNode({ heartbeatIntervalMs: 20 });
    const { peer } = await dialAuthenticated(listener.identity.address);
    const conn = await listener.connection();
    let closed = false;
    conn.onClose(() => (closed = true));
    // Ten pings, each answered by ws's automatic pong: five times the timeout.
    await new Promise<void>((resolve) => {
      let pings = 0;
      peer.ws.on('ping', () => ++pings === 10 && resolve());
    });
    expect(closed).toBe(false);
    expect(conn.send(new Uint8Array([1]))).toBe('ok');
  });

  it('are off when heartbeatIntervalMs is 0', async () => {
    const listener = await startNode({ heartbeatIntervalMs: 0 });
    const { peer } = await dialAuthenticated(listener.identity.address);
    let pinged = false;
    peer.ws.on('ping', () => (pinged = true));
    // A message round trip proves the connection serves; no ping may have come before it.
    const conn = await listener.connection();
    expect(conn.send(new Uint8Array([1]))).toBe('ok');
    await peer.next();
    expect(pinged).toBe(false);
  });
});
