import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import {
  AuthenticationError,
  type CloseCodeName,
  type CloseInfo,
  CloseCodes,
  type Connection,
  ConnectFailedError,
  HandshakeTimeoutError,
  type NodeIdentity,
  ProtocolError,
  SystemMismatchError,
  type Transport,
  TransportClosedError,
  type TransportError,
  type TransportEvent,
  type TransportHandler,
} from '@troupe/transport';
import { type ClientOptions, WebSocket, WebSocketServer } from 'ws';
import { formatAddress, parseAddress } from './internal/address';
import { closeCodeName } from './internal/closeCodeName';
import { closeSocket } from './internal/closeSocket';
import { ClientHandshake, isValidIdentityField, type RawFrame, ServerHandshake } from './internal/handshake';
import { type ResolvedOptions, resolveOptions } from './internal/resolveOptions';
import { type ConnectionHooks, survives, WsConnection } from './internal/WsConnection';
import { ListenFailedError } from './ListenFailedError';
import type { WebSocketTransportOptions } from './WebSocketTransportOptions';

/**
 * The path peers dial; an upgrade to any other path is refused by ws. Useful to route Troupe traffic through a
 * proxy.
 *
 * @example
 * ```ts
 * const url = `wss://node-1.internal:4711${WEBSOCKET_PATH}`; // wss://node-1.internal:4711/troupe
 * ```
 */
export const WEBSOCKET_PATH = '/troupe';

/** An outbound handshake in progress, shared by every `connect` to the same address. */
interface Dial {
  readonly address: string;
  readonly ws: WebSocket;
  readonly promise: Promise<Connection>;
  settled: boolean;
  settle(outcome: { connection: Connection } | { error: TransportError }): void;
  /** Inbound handshakes from the same peer that wait for this dial, because it would win against them. */
  readonly parked: (() => void)[];
}

/** Why a handshake is refused: the close code to send and a reason. */
interface Refusal {
  readonly closeCode: CloseCodeName;
  readonly detail: string;
}

type Phase = 'new' | 'starting' | 'listening' | 'closing' | 'closed';

/**
 * A {@link Transport} over WebSockets (`ws://host:port/troupe`, or `wss://` with TLS). Every connection starts
 * with a handshake in which both nodes prove the shared secret and tell who they are; then messages travel in
 * batches (many per frame), with a bound on what may queue, heartbeats, and one connection per pair of nodes.
 * Reconnecting is not its business: it reports closes, and the remoting layer above decides.
 *
 * @example
 * ```ts
 * const transport = new WebSocketTransport({ host: '127.0.0.1', port: 0, secret: 'cluster-secret' });
 * const me = await transport.listen({ system: 'shop', incarnation: nanoid() }, {
 *   onConnection: (conn) => conn.onMessage((bytes) => console.log(conn.peer.address, bytes.length)),
 *   onEvent: (event) => console.warn(event.type, event.peer, event.code),
 * });
 * const conn = await transport.connect('127.0.0.1:4711');
 * if (conn.send(new Uint8Array([1, 2, 3])) !== 'ok') console.warn('not sent');
 * await transport.close();
 * ```
 */
export class WebSocketTransport implements Transport {
  private readonly config: ResolvedOptions;
  private phase: Phase = 'new';
  private local: NodeIdentity | undefined;
  private handler: TransportHandler | undefined;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  /** The server's bind while `listen` is under way, so that `close()` can wait for it. */
  private binding: Promise<void> | undefined;
  /** Every WebSocket not yet closed, in any phase, so that `close()` leaves nothing behind. */
  private readonly sockets = new Set<WebSocket>();
  /** Raw TCP sockets of the server, for the ones that never became WebSockets (half-done TLS, idle HTTP). */
  private readonly rawSockets = new Set<Socket>();
  /** Established connections that still stand for their peer, by the peer's address. */
  private readonly byPeer = new Map<string, WsConnection>();
  /** Established connections not yet closed (including closing ones), for heartbeats and shutdown. */
  private readonly established = new Set<WsConnection>();
  private readonly dials = new Map<string, Dial>();
  private readonly hooks: ConnectionHooks = {
    retired: (connection) => {
      if (this.byPeer.get(connection.peer.address) === connection)
        this.byPeer.delete(connection.peer.address);
    },
    closed: (connection, info) => this.onConnectionClosed(connection, info),
    report: (event) => this.report(event),
    guard: (what, fn) => this.guard(what, fn),
    listenerThrew: (what, error) => this.listenerThrew(what, error),
  };

  /**
   * @throws {InsecureTransportError} when `host` is not loopback and there is no `secret`.
   * @throws {RangeError | TypeError} for unusable options.
   */
  constructor(options: WebSocketTransportOptions = {}) {
    this.config = resolveOptions(options);
  }

  /**
   * Binds the server (HTTPS when `tls` is set) and resolves with this node's identity, whose `address` is
   * `advertisedHost:port` with the port actually bound. A transport listens once.
   *
   * @throws {ListenFailedError} the port is taken, the TLS material is unusable, or it already listens.
   * @throws {TransportClosedError} the transport was closed.
   */
  async listen(local: Omit<NodeIdentity, 'address'>, handler: TransportHandler): Promise<NodeIdentity> {
    const bindAddress = formatAddress(this.config.host, this.config.port);
    if (this.phase === 'closing' || this.phase === 'closed') throw new TransportClosedError();
    if (this.phase !== 'new') throw new ListenFailedError(bindAddress, 'this transport is already listening');
    if (!isValidIdentityField(local.system) || !isValidIdentityField(local.incarnation)) {
      throw new TypeError(
        'system and incarnation must be non-empty printable strings of at most 256 characters',
      );
    }
    this.phase = 'starting';
    this.handler = handler;
    const { tls } = this.config;
    let server: Server;
    try {
      server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }) : createHttpServer();
    } catch (cause) {
      this.phase = 'closed';
      throw new ListenFailedError(bindAddress, 'invalid TLS material', cause);
    }
    this.server = server;
    server.on('connection', (socket: Socket) => {
      this.rawSockets.add(socket);
      socket.once('close', () => this.rawSockets.delete(socket));
    });
    // Plain HTTP requests get nothing: this port only speaks WebSocket.
    server.on('request', (_req, res) => res.writeHead(426, { Connection: 'close' }).end());
    server.on('tlsClientError', (error: Error, socket: Socket) => {
      this.report({
        type: 'handshake-failed',
        peer: remoteOf(socket),
        code: 'TRANSPORT_ERR_TLS',
        detail: error.message,
      });
      socket.destroy();
    });
    const wss = new WebSocketServer({
      server,
      path: WEBSOCKET_PATH,
      maxPayload: this.config.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
      closeTimeout: this.config.closeTimeoutMs,
    } as ConstructorParameters<typeof WebSocketServer>[0]);
    this.wss = wss;
    wss.on('connection', (ws: WebSocket, req: IncomingMessage) => this.acceptInbound(ws, req));
    // ws re-emits the server's errors; listen() handles the ones at start, the rest are reported.
    wss.on('error', () => undefined);

    this.binding = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, this.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    try {
      await this.binding;
    } catch (cause) {
      this.phase = 'closed';
      wss.close();
      throw new ListenFailedError(bindAddress, (cause as Error).message, cause);
    }
    server.on('error', (error: Error) =>
      this.report({ type: 'warning', code: 'TRANSPORT_ERR_LISTEN', detail: error.message }),
    );
    if (this.phase !== 'starting') {
      // close() was called while we were binding; it stops the server once the bind is over.
      throw new TransportClosedError();
    }
    const { port } = server.address() as AddressInfo;
    this.local = {
      system: local.system,
      incarnation: local.incarnation,
      address: formatAddress(this.config.advertisedHost, port),
    };
    if (this.config.heartbeatIntervalMs > 0) {
      this.heartbeatTimer = setInterval(() => this.heartbeat(), this.config.heartbeatIntervalMs);
      this.heartbeatTimer.unref();
    }
    this.phase = 'listening';
    this.report({ type: 'listening', detail: this.local.address });
    if (!this.config.hasSecret) {
      this.report({
        type: 'warning',
        code: 'TRANSPORT_ERR_INSECURE',
        detail: `no secret: running unauthenticated on loopback only (${this.local.address})`,
      });
    }
    return this.local;
  }

  /**
   * Dials `ws://address/troupe` (`wss://` with TLS) and runs the handshake. Resolves with the existing connection
   * to that node if there is one, and shares one dial between concurrent calls. `address` must be the address
   * the peer advertises (its `NodeIdentity.address`): a node answering by another name is refused.
   *
   * Rejects with ConnectFailedError (unreachable, TLS verification failed), AuthenticationError,
   * SystemMismatchError, ProtocolError (including another protocol version), HandshakeTimeoutError or
   * TransportClosedError.
   */
  connect(address: string): Promise<Connection> {
    if (this.phase !== 'listening' || !this.local) return Promise.reject(new TransportClosedError());
    const existing = this.byPeer.get(address);
    if (existing?.isOpen) return Promise.resolve(existing);
    const pending = this.dials.get(address);
    if (pending) return pending.promise;
    let target: { host: string; port: number };
    try {
      target = parseAddress(address);
    } catch (cause) {
      return Promise.reject(new ConnectFailedError(address, cause));
    }
    if (address === this.local.address) {
      return Promise.reject(new ConnectFailedError(address, new Error('a node does not connect to itself')));
    }
    try {
      return this.dial(address, target.host, target.port).promise;
    } catch (cause) {
      // ws throws at once for a host no URL can hold: a failed connect, never an exception in the caller.
      this.dials.delete(address);
      return Promise.reject(new ConnectFailedError(address, cause));
    }
  }

  /**
   * Stops accepting, closes every connection with 1001 (going away) after flushing it, rejects dials in flight
   * with TransportClosedError, and resolves once every socket, the server and every timer are gone.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---- inbound -------------------------------------------------------------------------------------------------

  private acceptInbound(ws: WebSocket, req: IncomingMessage): void {
    this.track(ws);
    const remote = remoteOf(req.socket);
    if (this.phase !== 'listening' || !this.local) {
      closeSocket(ws, CloseCodes.goingAway, 'shutting down');
      return;
    }
    const handshake = new ServerHandshake(this.local, this.config.secret);
    let finished = false;
    let parkedPeer: NodeIdentity | undefined;
    const finish = () => {
      finished = true;
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
    };
    const refuse = (failure: Refusal, peer = remote) => {
      finish();
      this.report({
        type: failure.closeCode === 'protocolViolation' ? 'protocol-violation' : 'handshake-failed',
        peer,
        code: failure.closeCode,
        detail: failure.detail,
      });
      closeSocket(ws, CloseCodes[failure.closeCode], failure.detail);
    };
    const timer = setTimeout(
      () => refuse({ closeCode: 'handshakeTimeout', detail: 'no handshake in time' }, parkedPeer?.address),
      this.config.handshakeTimeoutMs,
    );
    const admit = (peer: NodeIdentity, reply: string) => {
      if (finished) return;
      if (ws.readyState !== WebSocket.OPEN || this.phase !== 'listening') {
        finish();
        closeSocket(ws, CloseCodes.goingAway, 'shutting down');
        return;
      }
      const decision = this.admit(peer, true);
      if (decision.kind === 'park') {
        parkedPeer = peer;
        decision.dial.parked.push(() => admit(peer, reply));
        return;
      }
      finish();
      if (decision.kind === 'lose') {
        this.refuseDuplicate(ws, peer);
        return;
      }
      // The accept goes out before the connection exists, so no batch can overtake it.
      ws.send(reply);
      this.establish(ws, peer, true);
    };
    const onMessage = (data: RawFrame, isBinary: boolean) => {
      if (parkedPeer) {
        refuse({ closeCode: 'protocolViolation', detail: 'peer spoke out of turn' }, parkedPeer.address);
        return;
      }
      const outcome = handshake.receive(data, isBinary);
      if (outcome.kind === 'fail') {
        refuse(outcome, outcome.peer?.address ?? remote);
        return;
      }
      admit(outcome.peer, outcome.reply);
    };
    const onClose = (code: number, reason: Buffer) => {
      finish();
      // The dialer gave up on us (wrong secret on our side, other system, or it just left): say so.
      this.report({
        type: 'handshake-failed',
        peer: parkedPeer?.address ?? remote,
        code: closeCodeName(code),
        detail: reason.toString('utf8') || 'closed during the handshake',
      });
    };
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.send(handshake.challenge());
  }

  // ---- outbound ------------------------------------------------------------------------------------------------

  private dial(address: string, host: string, port: number): Dial {
    const local = this.local!;
    const handshake = new ClientHandshake(local, this.config.secret, address);
    const { tls } = this.config;
    const url = `${tls ? 'wss' : 'ws'}://${formatAddress(host, port)}${WEBSOCKET_PATH}`;
    const wsOptions = {
      maxPayload: this.config.maxFrameBytes,
      perMessageDeflate: false,
      followRedirects: false,
      closeTimeout: this.config.closeTimeoutMs,
      // An all-zero mask: ws then skips masking here and unmasking at the peer (a seventh of a busy sender's
      // time). Masking keeps a browser's script from steering the bytes a caching proxy sees; both ends here
      // are Troupe nodes that proved a shared secret, so it protects nothing and only costs.
      generateMask: zeroMask,
      ...(tls ? { ca: tls.ca, rejectUnauthorized: tls.rejectUnauthorized ?? true } : {}),
    } as ClientOptions;
    const ws = new WebSocket(url, wsOptions);
    this.track(ws);
    let cause: unknown;
    let resolve!: (connection: Connection) => void;
    let reject!: (error: TransportError) => void;
    const promise = new Promise<Connection>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const finish = () => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
      ws.off('error', onError);
    };
    const dial: Dial = {
      address,
      ws,
      promise,
      settled: false,
      parked: [],
      settle: (outcome) => {
        if (dial.settled) return;
        dial.settled = true;
        finish();
        if (this.dials.get(address) === dial) this.dials.delete(address);
        if ('connection' in outcome) resolve(outcome.connection);
        else reject(outcome.error);
        for (const resume of dial.parked.splice(0)) resume();
      },
    };
    this.dials.set(address, dial);
    const fail = (failure: Refusal & { error: TransportError }) => {
      this.report({
        type: failure.closeCode === 'protocolViolation' ? 'protocol-violation' : 'handshake-failed',
        peer: address,
        code: failure.closeCode,
        detail: failure.detail,
      });
      dial.settle({ error: failure.error });
      closeSocket(ws, CloseCodes[failure.closeCode], failure.detail);
    };
    const timer = setTimeout(() => {
      const error = new HandshakeTimeoutError(address, this.config.handshakeTimeoutMs);
      fail({ closeCode: 'handshakeTimeout', detail: 'no handshake in time', error });
    }, this.config.handshakeTimeoutMs);
    const onError = (error: Error) => (cause ??= error);
    const onMessage = (data: RawFrame, isBinary: boolean) => {
      const outcome = handshake.receive(data, isBinary);
      if (outcome.kind === 'reply') {
        ws.send(outcome.frame);
      } else if (outcome.kind === 'fail') {
        fail(outcome);
      } else if (this.phase !== 'listening') {
        dial.settle({ error: new TransportClosedError() });
        closeSocket(ws, CloseCodes.goingAway, 'shutting down');
      } else {
        // The handshake is over: stop listening before a connection takes the socket over.
        finish();
        const decision = this.admit(outcome.peer, false);
        if (decision.kind === 'lose') {
          this.refuseDuplicate(ws, outcome.peer);
          dial.settle({ connection: decision.winner });
        } else {
          dial.settle({ connection: this.establish(ws, outcome.peer, false, dial) });
        }
      }
    };
    const onClose = (code: number, reason: Buffer) => {
      const detail = reason.toString('utf8');
      if (code === CloseCodes.duplicateConnection) {
        // The peer kept the connection it dialled; by the time its close reached us that one was established.
        const survivor = this.byPeer.get(address);
        if (survivor?.isOpen) {
          dial.settle({ connection: survivor });
          return;
        }
      }
      const error = this.dialError(address, code, detail, handshake.peer, cause);
      if (code >= 4000 && code < 5000) {
        this.report({
          type: 'handshake-failed',
          peer: address,
          code: closeCodeName(code),
          detail: detail || 'refused',
        });
      }
      dial.settle({ error });
    };
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.on('error', onError);
    return dial;
  }

  /** The error a dialer rejects with when the peer closed during the handshake, by the code it closed with. */
  private dialError(
    address: string,
    code: number,
    detail: string,
    peer: NodeIdentity | undefined,
    cause: unknown,
  ): TransportError {
    switch (code) {
      case CloseCodes.protocolViolation:
      case CloseCodes.versionMismatch:
        return new ProtocolError(detail || `peer closed with ${code}`);
      case CloseCodes.authenticationFailed:
        return new AuthenticationError(detail || 'the peer refused our proof');
      case CloseCodes.handshakeTimeout:
        return new HandshakeTimeoutError(address, this.config.handshakeTimeoutMs);
      case CloseCodes.systemMismatch:
        return new SystemMismatchError(this.local!.system, peer?.system ?? 'unknown');
      default:
        return new ConnectFailedError(
          address,
          cause ?? new Error(`closed with ${code} during the handshake`),
        );
    }
  }

  // ---- one connection per pair ---------------------------------------------------------------------------------

  /**
   * Decides what becomes of a finished handshake with `peer`: 'admit' (it becomes the pair's connection), 'lose'
   * (the established connection survives it, see {@link survives}) or, for an inbound one, 'park' (our own dial
   * to that peer is under way and will win: wait for it rather than hand out a connection about to be closed).
   */
  private admit(
    peer: NodeIdentity,
    inbound: boolean,
  ): { kind: 'admit' } | { kind: 'lose'; winner: WsConnection } | { kind: 'park'; dial: Dial } {
    const dialer = inbound ? peer.address : this.local!.address;
    const existing = this.byPeer.get(peer.address);
    if (
      existing?.isOpen &&
      existing.peer.incarnation === peer.incarnation &&
      !survives(dialer, existing.dialer)
    ) {
      return { kind: 'lose', winner: existing };
    }
    const dial = this.dials.get(peer.address);
    if (inbound && dial && !dial.settled && !survives(dialer, this.local!.address))
      return { kind: 'park', dial };
    return { kind: 'admit' };
  }

  private establish(ws: WebSocket, peer: NodeIdentity, inbound: boolean, ownDial?: Dial): WsConnection {
    const dialer = inbound ? peer.address : this.local!.address;
    const connection = new WsConnection(ws, peer, inbound, dialer, this.config, this.hooks);
    const existing = this.byPeer.get(peer.address);
    this.byPeer.set(peer.address, connection);
    this.established.add(connection);
    if (existing?.isOpen) {
      // Either the peer restarted (the old connection leads to a node that is gone) or this one survives it.
      const restarted = existing.peer.incarnation !== peer.incarnation;
      void existing.closeBecause(CloseCodes.duplicateConnection, {
        type: 'duplicate-connection',
        peer: peer.address,
        code: 'duplicateConnection',
        detail: restarted ? 'superseded by a new incarnation' : 'duplicate connection',
      });
    }
    const dial = this.dials.get(peer.address);
    if (dial && dial !== ownDial && !dial.settled) {
      // Our own dial to this peer lost the race before finishing: its callers get the survivor.
      this.refuseDuplicate(dial.ws, peer);
      dial.settle({ connection });
    }
    const handler = this.handler;
    if (handler) this.guard('onConnection', () => handler.onConnection(connection));
    return connection;
  }

  private refuseDuplicate(ws: WebSocket, peer: NodeIdentity): void {
    const detail = 'duplicate connection';
    this.report({ type: 'duplicate-connection', peer: peer.address, code: 'duplicateConnection', detail });
    closeSocket(ws, CloseCodes.duplicateConnection, detail);
  }

  // ---- lifecycle -----------------------------------------------------------------------------------------------

  private onConnectionClosed(connection: WsConnection, info: CloseInfo): void {
    this.established.delete(connection);
    if (this.byPeer.get(connection.peer.address) === connection) this.byPeer.delete(connection.peer.address);
    this.report({
      type: 'connection-closed',
      peer: connection.peer.address,
      code: closeCodeName(info.code),
      detail: info.reason,
    });
  }

  private heartbeat(): void {
    for (const connection of this.established) connection.heartbeat();
  }

  private track(ws: WebSocket): void {
    this.sockets.add(ws);
    // Without an error listener a socket error would be thrown; what matters is reported through 'close'.
    ws.on('error', () => undefined);
    ws.once('close', () => this.sockets.delete(ws));
  }

  private async shutdown(): Promise<void> {
    this.phase = 'closing';
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    // A listen() under way finishes its bind first (and then rejects), so there is a server to stop.
    await this.binding?.catch(() => undefined);
    const server = this.server;
    // Stop accepting first; the callback comes once every connection to the server is gone.
    const stopped = server?.listening
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : undefined;
    this.wss?.close();
    for (const dial of [...this.dials.values()]) dial.settle({ error: new TransportClosedError() });
    const closes = [...this.established].map((c) => c.close(CloseCodes.goingAway, 'transport closed'));
    for (const ws of this.sockets) closeSocket(ws, CloseCodes.goingAway, 'transport closed');
    const socketsClosed = [...this.sockets].map(
      (ws) =>
        new Promise<void>((resolve) =>
          ws.readyState === WebSocket.CLOSED ? resolve() : ws.once('close', () => resolve()),
        ),
    );
    await Promise.all([...closes, ...socketsClosed]);
    // Whatever never became a WebSocket (an idle HTTP client, a stalled TLS handshake) would hold the server.
    for (const socket of this.rawSockets) socket.destroy();
    await stopped;
    this.phase = 'closed';
  }

  private report(event: TransportEvent): void {
    const onEvent = this.handler?.onEvent;
    if (!onEvent) return;
    try {
      onEvent.call(this.handler, event);
    } catch {
      // An event listener that throws must not break the transport; there is nobody left to tell.
    }
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.listenerThrew(what, error);
    }
  }

  private listenerThrew(what: string, error: unknown): void {
    this.report({
      type: 'warning',
      code: 'TRANSPORT_ERR_LISTENER',
      detail: `${what} threw: ${String(error)}`,
    });
  }
}

function remoteOf(socket: Socket): string {
  return socket.remoteAddress ? formatAddress(socket.remoteAddress, socket.remotePort ?? 0) : 'unknown';
}

function zeroMask(mask: Buffer): void {
  mask.fill(0);
}
