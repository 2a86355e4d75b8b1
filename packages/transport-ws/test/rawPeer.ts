/**
 * Test helpers: raw `ws` peers that speak the wire protocol by hand (honestly or not), and transports that are
 * closed after each test.
 */
import type { Connection, NodeIdentity, TransportEvent } from '@troupe/transport';
import { WebSocket, WebSocketServer } from 'ws';
import { WebSocketTransport, type WebSocketTransportOptions } from '../src';
import { ClientHandshake } from '../src/internal/handshake';

export const SECRET = 'test-secret-0123456789';

export interface Frame {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

/** A ws socket with its frames queued, so a test can await them one by one without missing any. */
export class RawPeer {
  private readonly frames: Frame[] = [];
  private readonly waiters: ((frame: Frame) => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** How many frames arrived in all, including those already taken. */
  received = 0;

  constructor(readonly ws: WebSocket) {
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.received++;
      const frame = { data, isBinary };
      const waiter = this.waiters.shift();
      if (waiter) waiter(frame);
      else this.frames.push(frame);
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
    );
  }

  next(): Promise<Frame> {
    const frame = this.frames.shift();
    if (frame) return Promise.resolve(frame);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  send(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  /** Closes (or drops) the socket and waits until it is gone. */
  async dispose(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
    await this.closed;
  }
}

const peers: RawPeer[] = [];
const transports: WebSocketTransport[] = [];
const servers: WebSocketServer[] = [];

/** Disposes of everything the helpers made; call from afterEach. */
export async function cleanup(): Promise<void> {
  await Promise.all(peers.splice(0).map((p) => p.dispose()));
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(
    servers.splice(0).map((s) => {
      for (const client of s.clients) client.terminate();
      return new Promise<void>((resolve) => s.close(() => resolve()));
    }),
  );
}

/** Opens a raw WebSocket to a transport's address (no handshake). */
export async function openRaw(address: string): Promise<RawPeer> {
  const peer = new RawPeer(new WebSocket(`ws://${address}/troupe`, { perMessageDeflate: false }));
  peers.push(peer);
  await new Promise<void>((resolve, reject) => {
    peer.ws.once('open', resolve);
    peer.ws.once('error', reject);
  });
  return peer;
}

let rawSeq = 0;

/** A raw peer that completes the real client handshake, then is free to misbehave. */
export async function dialAuthenticated(
  address: string,
  options: { secret?: string; identity?: NodeIdentity } = {},
): Promise<{ peer: RawPeer; identity: NodeIdentity }> {
  const peer = await openRaw(address);
  const identity = options.identity ?? {
    system: 'test',
    incarnation: `raw-${++rawSeq}`,
    address: `raw-${rawSeq}:1`,
  };
  const handshake = new ClientHandshake(identity, Buffer.from(options.secret ?? SECRET), address);
  const challenge = await peer.next();
  const reply = handshake.receive(challenge.data, challenge.isBinary);
  if (reply.kind !== 'reply') throw new Error(`handshake: expected a reply, got ${reply.kind}`);
  peer.send(reply.frame);
  const accept = await peer.next();
  const done = handshake.receive(accept.data, accept.isBinary);
  if (done.kind !== 'done') throw new Error(`handshake: expected done, got ${done.kind}`);
  return { peer, identity };
}

/** A raw ws server on 127.0.0.1, port 0, for playing a misbehaving listener. */
export async function rawServer(onConnection: (peer: RawPeer) => void): Promise<string> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/troupe' });
  servers.push(server);
  server.on('connection', (ws) => onConnection(new RawPeer(ws)));
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  return `127.0.0.1:${port}`;
}

export interface TestNode {
  readonly transport: WebSocketTransport;
  readonly identity: NodeIdentity;
  readonly connections: Connection[];
  readonly events: TransportEvent[];
  /** Resolves with the first event matching `match`, including one already reported. */
  event(match: (event: TransportEvent) => boolean): Promise<TransportEvent>;
  /** Resolves with the n-th connection handed to onConnection (1-based). */
  connection(n?: number): Promise<Connection>;
}

let incarnations = 0;

/** A listening transport on 127.0.0.1, port 0, with the test secret unless told otherwise; closed by cleanup(). */
export async function startNode(options: WebSocketTransportOptions = {}, system = 'test'): Promise<TestNode> {
  const transport = new WebSocketTransport({ host: '127.0.0.1', port: 0, secret: SECRET, ...options });
  transports.push(transport);
  const connections: Connection[] = [];
  const events: TransportEvent[] = [];
  const eventWaiters: { match: (e: TransportEvent) => boolean; resolve: (e: TransportEvent) => void }[] = [];
  const connectionWaiters: { n: number; resolve: (c: Connection) => void }[] = [];
  const identity = await transport.listen(
    { system, incarnation: `inc-${++incarnations}` },
    {
      onConnection: (connection) => {
        connections.push(connection);
        for (const w of connectionWaiters.filter((w) => w.n === connections.length)) w.resolve(connection);
      },
      onEvent: (event) => {
        events.push(event);
        for (const w of eventWaiters.filter((w) => w.match(event))) w.resolve(event);
      },
    },
  );
  return {
    transport,
    identity,
    connections,
    events,
    event: (match) => {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => eventWaiters.push({ match, resolve }));
    },
    connection: (n = 1) => {
      if (connections.length >= n) return Promise.resolve(connections[n - 1]);
      return new Promise((resolve) => connectionWaiters.push({ n, resolve }));
    },
  };
}

/** One batch frame holding `messages`, as the transport writes them. */
export function batch(...messages: Uint8Array[]): Buffer {
  return Buffer.concat(
    messages.flatMap((m) => {
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32BE(m.byteLength);
      return [prefix, Buffer.from(m)];
    }),
  );
}

/** Resolves with the close info of a connection. */
export function closeOf(connection: Connection): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => connection.onClose(resolve));
}

/** Resolves with the next message a connection receives. */
export function nextMessage(connection: Connection): Promise<Uint8Array> {
  return new Promise((resolve) => connection.onMessage(resolve));
}
