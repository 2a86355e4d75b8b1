import { createServer } from 'node:net';
import { CloseCodes, ConnectFailedError, type TransportEvent, TransportClosedError } from '@troupe/transport';
import { ListenFailedError, WebSocketTransport } from '../src';
import { cleanup, closeOf, nextMessage, rawServer, SECRET, startNode } from './rawPeer';

afterEach(cleanup);

const local = { system: 'test', incarnation: 'inc' };
const handler = { onConnection: () => undefined };

describe('the transport lifecycle', () => {
  it('refuses to connect before listen, with TransportClosedError', async () => {
    const transport = new WebSocketTransport({ secret: SECRET });
    await expect(transport.connect('127.0.0.1:1')).rejects.toBeInstanceOf(TransportClosedError);
    await transport.close();
  });

  it('refuses to listen twice, with ListenFailedError', async () => {
    const node = await startNode();
    const error = await node.transport.listen(local, handler).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ListenFailedError);
    expect((error as ListenFailedError).code).toBe('TRANSPORT_ERR_LISTEN');
  });

  it('refuses to listen after close, with TransportClosedError', async () => {
    const transport = new WebSocketTransport({ secret: SECRET });
    await transport.close();
    await expect(transport.listen(local, handler)).rejects.toBeInstanceOf(TransportClosedError);
  });

  it('reports a port already taken as ListenFailedError', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as { port: number };
    const transport = new WebSocketTransport({ port, secret: SECRET });
    try {
      await expect(transport.listen(local, handler)).rejects.toBeInstanceOf(ListenFailedError);
    } finally {
      await transport.close();
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('rejects a malformed address and its own address with ConnectFailedError', async () => {
    const node = await startNode();
    await expect(node.transport.connect('nonsense')).rejects.toBeInstanceOf(ConnectFailedError);
    await expect(node.transport.connect('127.0.0.1:70000')).rejects.toBeInstanceOf(ConnectFailedError);
    await expect(node.transport.connect(node.identity.address)).rejects.toBeInstanceOf(ConnectFailedError);
  });

  it('rejects a dial in flight with TransportClosedError when the transport closes', async () => {
    const silent = await rawServer(() => undefined);
    const node = await startNode({ handshakeTimeoutMs: 60_000 });
    const dialling = node.transport.connect(silent);
    await node.transport.close();
    await expect(dialling).rejects.toBeInstanceOf(TransportClosedError);
  });

  it('calls onClose once on each side with the code given to close(), and close() resolves after it', async () => {
    const a = await startNode();
    const b = await startNode();
    const conn = await a.transport.connect(b.identity.address);
    const inbound = await b.connection();
    const calls: number[] = [];
    conn.onClose((info) => calls.push(info.code));
    const remote = closeOf(inbound);
    await conn.close(4321, 'bye');
    expect(calls).toEqual([4321]);
    expect(await remote).toEqual({ code: 4321, reason: 'bye' });
    const late: number[] = [];
    conn.onClose((info) => late.push(info.code));
    await Promise.resolve();
    expect(late).toEqual([4321]);
    expect(calls).toEqual([4321]);
    const event = await b.event((e) => e.type === 'connection-closed');
    expect(event.peer).toBe(a.identity.address);
    await expect(conn.close()).resolves.toBeUndefined();
  });

  it('rejects close() with a code that may not be sent', async () => {
    const a = await startNode();
    const b = await startNode();
    const conn = await a.transport.connect(b.identity.address);
    await expect(conn.close(1006)).rejects.toBeInstanceOf(RangeError);
    expect(conn.send(new Uint8Array([1]))).toBe('ok');
  });

  it('survives a listener that throws, reporting a warning', async () => {
    const a = await startNode();
    const b = await startNode();
    const conn = await a.transport.connect(b.identity.address);
    const inbound = await b.connection();
    inbound.onMessage(() => {
      throw new Error('listener bug');
    });
    conn.send(new Uint8Array([1]));
    const warning: TransportEvent = await b.event((e) => e.type === 'warning');
    expect(warning.code).toBe('TRANSPORT_ERR_LISTENER');
    const next = nextMessage(inbound);
    conn.send(new Uint8Array([2]));
    expect([...(await next)]).toEqual([2]);
  });

  it('closes its connections with 1001 (going away) when the transport closes', async () => {
    const a = await startNode();
    const b = await startNode();
    await a.transport.connect(b.identity.address);
    const remote = closeOf(await b.connection());
    await a.transport.close();
    expect((await remote).code).toBe(CloseCodes.goingAway);
  });

  it('leaves no socket, server or timer behind after close()', async () => {
    // Node releases a closed handle at the end of the loop turn in which it was closed, earlier tests' too.
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    await turn();
    await turn();
    const before = process.getActiveResourcesInfo().sort();
    const a = new WebSocketTransport({ secret: SECRET, heartbeatIntervalMs: 10 });
    const b = new WebSocketTransport({ secret: SECRET, heartbeatIntervalMs: 10 });
    await a.listen({ system: 's', incarnation: 'a' }, handler);
    const bIdentity = await b.listen({ system: 's', incarnation: 'b' }, handler);
    const conn = await a.connect(bIdentity.address);
    conn.send(new Uint8Array(10));
    await Promise.all([a.close(), b.close()]);
    await turn();
    await turn();
    expect(process.getActiveResourcesInfo().sort()).toEqual(before);
  });
});
