/**
 * Who a node is, as exchanged in a transport's handshake. The transport moves bytes and knows nothing of
 * actors; it only needs to know whom it is talking to, to keep one connection per pair of nodes.
 */
export interface NodeIdentity {
  /** The actor system's name; two nodes of different systems never connect. */
  readonly system: string;
  /** New at every start of a node (a nanoid), so a restarted node is never taken for its earlier self. */
  readonly incarnation: string;
  /** What peers dial to reach this node: `host:port` for sockets, any unique string in memory. */
  readonly address: string;
}

/** Why a connection closed. */
export interface CloseInfo {
  /** WebSocket-style close code: 1000 normal, 1001 going away, 1006 abnormal, 4000-4999 Troupe's own. */
  readonly code: number;
  readonly reason: string;
}

/** The outcome of {@link Connection.send}. Only `ok` means the message was queued for the peer. */
export type SendResult = 'ok' | 'backpressure' | 'too-large' | 'closed';

/**
 * One authenticated, ordered, message-oriented link to a peer. Messages arrive whole, in the order sent, at most
 * once; nothing arrives after `onClose`.
 */
export interface Connection {
  readonly peer: NodeIdentity;
  /** True when the peer dialled us. */
  readonly inbound: boolean;
  /**
   * The largest message `send` accepts: a layer that packs several of its own messages into one (as remoting
   * does) keeps each under it, so that one oversized message is refused alone.
   */
  readonly maxMessageBytes: number;
  /**
   * Queues one message. Never throws: a message over the size limit, over the outbound bound, or sent after
   * close is refused with the reason, and the caller decides (typically: a dead letter). The connection keeps no
   * reference to `message` once `send` returns (it copies what it queues), so the caller may reuse the array.
   */
  send(message: Uint8Array): SendResult;
  /**
   * Hands what was queued to the network now, rather than when the transport would (a transport may gather the
   * messages of one turn into one write). For a caller that gathered a turn's messages itself, as remoting does.
   * Optional: a transport that writes at once needs none.
   */
  flush?(): void;
  /** Bytes queued and not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Sets the listener for incoming messages (one listener; a second call replaces the first). */
  onMessage(listener: (message: Uint8Array) => void): void;
  /** Sets the listener called once when the connection closes, for whatever reason. */
  onClose(listener: (info: CloseInfo) => void): void;
  /** Flushes what was queued, then closes. Resolves when closed. */
  close(code?: number, reason?: string): Promise<void>;
  /** Drops the connection at once; queued messages are lost. */
  terminate(): void;
}

/** Things a transport reports that are not connections: refused peers, protocol violations, listening. */
export interface TransportEvent {
  readonly type:
    | 'listening'
    | 'handshake-failed'
    | 'protocol-violation'
    | 'connection-closed'
    | 'duplicate-connection'
    | 'heartbeat-timeout'
    | 'warning';
  /** The peer's address or remote socket address, when known. */
  readonly peer?: string;
  /** A TransportError's code, or a close code's name. */
  readonly code?: string;
  readonly detail?: string;
}

export interface TransportHandler {
  /** A connection (inbound or outbound) finished its handshake and can carry messages. */
  onConnection(connection: Connection): void;
  onEvent?(event: TransportEvent): void;
}

/**
 * Moves bytes between nodes. Implementations: in memory (many nodes in one process, with fault injection) and
 * WebSocket. The remoting layer above owns reconnecting, heartbeating peers for reachability and everything
 * about actors.
 *
 * @example
 * ```ts
 * const identity = await transport.listen({ system: 'shop', incarnation: nanoid() }, {
 *   onConnection: (conn) => conn.onMessage((bytes) => console.log(conn.peer.address, bytes.length)),
 * });
 * const conn = await transport.connect('127.0.0.1:4711');
 * conn.send(new Uint8Array([1, 2, 3]));
 * ```
 */
export interface Transport {
  /**
   * Starts accepting connections and returns this node's identity, with the address peers must dial. Every
   * connection, inbound or outbound, is handed to `handler.onConnection` once its handshake is done.
   */
  listen(local: Omit<NodeIdentity, 'address'>, handler: TransportHandler): Promise<NodeIdentity>;
  /**
   * Connects to the node at `address` and resolves once the handshake is done (the connection is also handed to
   * `onConnection`). Rejects with a `TransportError`. If a connection to that peer already exists, resolves with
   * it: there is at most one connection per pair of nodes.
   */
  connect(address: string): Promise<Connection>;
  /** Closes every connection gracefully (flushing) and stops listening. */
  close(): Promise<void>;
}
