import {
  AuthenticationError,
  CloseCodes,
  HandshakeTimeoutError,
  ProtocolError,
  type TransportEvent,
} from '@troupe/transport';
import { InsecureTransportError, WebSocketTransport } from '../src';
import {
  cleanup,
  dialAuthenticated,
  nextMessage,
  openRaw,
  rawServer,
  SECRET,
  startNode,
  type TestNode,
} from './rawPeer';

afterEach(cleanup);

/** An honest node connects to `node` and a message gets through: the listener still serves everyone else. */
async function expectServesHonestPeers(node: TestNode): Promise<void> {
  const honest = await startNode();
  const before = node.connections.length;
  const conn = await honest.transport.connect(node.identity.address);
  const inbound = await node.connection(before + 1);
  const received = nextMessage(inbound);
  expect(conn.send(new Uint8Array([7]))).toBe('ok');
  expect([...(await received)]).toEqual([7]);
}

function challengeOf(data: Buffer): { nonce: string } {
  return JSON.parse(data.toString()) as { nonce: string };
}

describe('the handshake', () => {
  it('refuses a dialer with the wrong secret: it rejects with AuthenticationError, the listener reports 4003, and nobody sees a connection', async () => {
    const listener = await startNode();
    const intruder = await startNode({ secret: 'another-secret-0123456789' });
    const error = await intruder.transport.connect(listener.identity.address).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).code).toBe('TRANSPORT_ERR_AUTH');
    const event = await listener.event((e) => e.type === 'handshake-failed');
    expect(event.code).toBe('authenticationFailed');
    expect(CloseCodes[event.code as 'authenticationFailed']).toBe(4003);
    expect(listener.connections).toEqual([]);
    expect(intruder.connections).toEqual([]);
    await expectServesHonestPeers(listener);
  });

  it('refuses a dialer without a secret when the listener has one', async () => {
    const listener = await startNode();
    const open = await startNode({ secret: undefined });
    await expect(open.transport.connect(listener.identity.address)).rejects.toBeInstanceOf(
      AuthenticationError,
    );
    expect(listener.connections).toEqual([]);
  });

  it('closes a raw client that sends bytes before answering the challenge with 4001, reporting a protocol violation', async () => {
    const listener = await startNode();
    const raw = await openRaw(listener.identity.address);
    raw.send(new Uint8Array([1, 2, 3, 4]));
    expect((await raw.closed).code).toBe(CloseCodes.protocolViolation);
    const event = await listener.event((e) => e.type === 'protocol-violation');
    expect(event.code).toBe('protocolViolation');
    expect(listener.connections).toEqual([]);
    await expectServesHonestPeers(listener);
  });

  it('closes a raw client whose response has an extra field with 4001', async () => {
    const listener = await startNode();
    const raw = await openRaw(listener.identity.address);
    const { nonce } = challengeOf((await raw.next()).data);
    raw.send(
      JSON.stringify({
        type: 'response',
        v: 1,
        system: 'test',
        incarnation: 'x',
        address: 'x:1',
        nonce,
        proof: nonce,
        admin: true,
      }),
    );
    expect((await raw.closed).code).toBe(CloseCodes.protocolViolation);
  });

  it('closes a raw client that says nothing with 4004 once the handshake timeout passed', async () => {
    const listener = await startNode({ handshakeTimeoutMs: 200 });
    const raw = await openRaw(listener.identity.address);
    const started = Date.now();
    expect((await raw.closed).code).toBe(CloseCodes.handshakeTimeout);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    const event = await listener.event((e) => e.type === 'handshake-failed');
    expect(event.code).toBe('handshakeTimeout');
    await expectServesHonestPeers(listener);
  });

  it('closes a raw client speaking another protocol version with 4002', async () => {
    const listener = await startNode();
    const raw = await openRaw(listener.identity.address);
    await raw.next();
    raw.send(JSON.stringify({ type: 'response', v: 2, somethingNew: true }));
    expect((await raw.closed).code).toBe(CloseCodes.versionMismatch);
    const event = await listener.event((e) => e.type === 'handshake-failed');
    expect(event.code).toBe('versionMismatch');
    await expectServesHonestPeers(listener);
  });

  it('rejects a dial with ProtocolError and closes with 4002 when the listener speaks another version', async () => {
    const closed: Promise<number>[] = [];
    const address = await rawServer((peer) => {
      closed.push(peer.closed.then((c) => c.code));
      peer.send(JSON.stringify({ type: 'challenge', v: 2, system: 'test' }));
    });
    const dialer = await startNode();
    const error = await dialer.transport.connect(address).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('TRANSPORT_ERR_PROTOCOL');
    expect(await closed[0]).toBe(CloseCodes.versionMismatch);
  });

  it('rejects a dial with AuthenticationError and closes with 4003 when the listener cannot prove the secret', async () => {
    const closed: Promise<number>[] = [];
    let answered = false;
    const address: string = await rawServer((peer) => {
      closed.push(peer.closed.then((c) => c.code));
      const nonce = 'ab'.repeat(32);
      peer.send(
        JSON.stringify({ type: 'challenge', v: 1, system: 'test', incarnation: 'i', address, nonce }),
      );
      // The dialer answers; the impostor cannot compute the proof over the dialer's nonce.
      void peer.next().then(() => {
        answered = true;
        peer.send(JSON.stringify({ type: 'accept', v: 1, proof: 'cd'.repeat(32) }));
      });
    });
    const dialer = await startNode();
    const error = await dialer.transport.connect(address).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(answered).toBe(true);
    expect(await closed[0]).toBe(CloseCodes.authenticationFailed);
    expect(dialer.connections).toEqual([]);
  });

  it('rejects a dial with AuthenticationError and closes with 4003, without proving anything, when the node dialled calls itself by another address', async () => {
    const closed: Promise<number>[] = [];
    let answered = false;
    const address = await rawServer((peer) => {
      closed.push(peer.closed.then((c) => c.code));
      // A node relaying another node's challenge, to pass itself off as that node.
      const other = { system: 'test', incarnation: 'i', address: '127.0.0.1:1' };
      peer.send(JSON.stringify({ type: 'challenge', v: 1, ...other, nonce: 'ab'.repeat(32) }));
      void peer.next().then(() => (answered = true));
    });
    const dialer = await startNode();
    const error = await dialer.transport.connect(address).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).code).toBe('TRANSPORT_ERR_AUTH');
    expect(await closed[0]).toBe(CloseCodes.authenticationFailed);
    expect(answered).toBe(false);
  });

  it('rejects a dial with HandshakeTimeoutError when the listener never sends a challenge', async () => {
    const closed: Promise<number>[] = [];
    const address = await rawServer((peer) => closed.push(peer.closed.then((c) => c.code)));
    const dialer = await startNode({ handshakeTimeoutMs: 200 });
    const error = await dialer.transport.connect(address).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandshakeTimeoutError);
    expect((error as HandshakeTimeoutError).code).toBe('TRANSPORT_ERR_HANDSHAKE_TIMEOUT');
    expect(await closed[0]).toBe(CloseCodes.handshakeTimeout);
  });

  it('lets an authenticated raw client through, with the identity it claimed', async () => {
    const listener = await startNode();
    const { identity } = await dialAuthenticated(listener.identity.address, { secret: SECRET });
    const conn = await listener.connection();
    expect(conn.peer).toEqual(identity);
    expect(conn.inbound).toBe(true);
  });
});

describe('running without a secret', () => {
  it('is refused on a non-loopback host with InsecureTransportError (TRANSPORT_ERR_INSECURE)', () => {
    let error: unknown;
    try {
      new WebSocketTransport({ host: '0.0.0.0' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InsecureTransportError);
    expect((error as InsecureTransportError).code).toBe('TRANSPORT_ERR_INSECURE');
  });

  it('works on loopback, with a warning that it is unauthenticated', async () => {
    const a = await startNode({ secret: undefined });
    const b = await startNode({ secret: undefined });
    const warning: TransportEvent = await a.event((e) => e.type === 'warning');
    expect(warning.code).toBe('TRANSPORT_ERR_INSECURE');
    const conn = await a.transport.connect(b.identity.address);
    expect(conn.peer).toEqual(b.identity);
  });

  it('does not warn when it has a secret', async () => {
    const a = await startNode();
    expect(a.events.filter((e) => e.type === 'warning')).toEqual([]);
  });
});

describe('a closed handshake', () => {
  it('never leaves a refused peer in onConnection, even when it closes on its own', async () => {
    const listener = await startNode();
    const raw = await openRaw(listener.identity.address);
    await raw.next();
    raw.ws.close(1000);
    await raw.closed;
    const event = await listener.event((e) => e.type === 'handshake-failed');
    expect(event.code).toBe('normal');
    expect(listener.connections).toEqual([]);
    await expectServesHonestPeers(listener);
  });
});
