import {
  type CloseInfo,
  type Connection,
  ConnectFailedError,
  ForwardingConnection,
  ForwardingTransport,
  type NodeIdentity,
  type SendResult,
  type Transport,
  type TransportHandler,
} from '@troupe/transport';

/**
 * A transport decorator that can cut this node off from chosen peers, as a network partition would, and that
 * counts the messages sent to each peer. While a peer is blocked, connections to and from it are terminated at
 * once, dialling it fails with `ConnectFailedError`, and any message either way is dropped. `heal()` lets
 * everything through again; remoting reconnects on its own.
 *
 * A partition made this way is one-sided: block on both sides (as the demo does) for a clean cut.
 *
 * @example
 * ```ts
 * const transport = new PartitionableTransport(new WebSocketTransport({ port: 4711, secret }));
 * const node = await createNode({ name: 'demo', transport });
 * transport.block(['127.0.0.1:4712', '127.0.0.1:4713']);
 * transport.heal();
 * ```
 */
export class PartitionableTransport extends ForwardingTransport {
  private readonly blockedPeers = new Set<string>();
  /** Connections handed out and not closed yet, to cut when their peer is blocked. */
  private readonly open = new Set<Connection>();
  private readonly sent = new Map<string, number>();

  constructor(inner: Transport) {
    super(inner);
  }

  /** Cuts this node off from `peers` (transport addresses, `host:port`), on top of those already blocked. */
  block(peers: Iterable<string>): void {
    for (const p of peers) this.blockedPeers.add(p);
    for (const conn of this.open) if (this.blockedPeers.has(conn.peer.address)) conn.terminate();
  }

  /** Lets every peer through again. */
  heal(): void {
    this.blockedPeers.clear();
  }

  /** The peers currently blocked. */
  blocked(): string[] {
    return [...this.blockedPeers].sort();
  }

  /** Messages handed to each peer's connection so far (dropped ones excluded), by transport address. */
  sentTo(): Record<string, number> {
    return Object.fromEntries(this.sent);
  }

  isBlocked(peer: string): boolean {
    return this.blockedPeers.has(peer);
  }

  countSent(peer: string): void {
    this.sent.set(peer, (this.sent.get(peer) ?? 0) + 1);
  }

  override listen(local: Omit<NodeIdentity, 'address'>, handler: TransportHandler): Promise<NodeIdentity> {
    return super.listen(local, {
      onConnection: (conn) => {
        if (this.blockedPeers.has(conn.peer.address)) {
          conn.terminate();
          return;
        }
        handler.onConnection(conn);
      },
      onEvent: handler.onEvent?.bind(handler),
    });
  }

  override async connect(address: string): Promise<Connection> {
    if (this.blockedPeers.has(address)) throw new ConnectFailedError(address, new Error('partitioned'));
    const conn = await super.connect(address);
    if (this.blockedPeers.has(conn.peer.address)) {
      conn.terminate();
      throw new ConnectFailedError(address, new Error('partitioned'));
    }
    return conn;
  }

  protected wrapConnection(conn: Connection): Connection {
    const wrapped = new PartitionableConnection(conn, this);
    this.open.add(conn);
    conn.onClose((info) => {
      this.open.delete(conn);
      wrapped.closed(info);
    });
    return wrapped;
  }
}

/** A connection that drops messages while its peer is blocked. */
class PartitionableConnection extends ForwardingConnection {
  private closeListener: ((info: CloseInfo) => void) | undefined;
  private closeInfo: CloseInfo | undefined;

  constructor(
    inner: Connection,
    private readonly owner: PartitionableTransport,
  ) {
    super(inner);
  }

  override send(message: Uint8Array): SendResult {
    // A partition loses messages silently: the sender learns of it only by the silence that follows.
    if (this.owner.isBlocked(this.peer.address)) return 'ok';
    const result = this.inner.send(message);
    if (result === 'ok') this.owner.countSent(this.peer.address);
    return result;
  }

  override onMessage(listener: (message: Uint8Array) => void): void {
    this.inner.onMessage((message) => {
      if (!this.owner.isBlocked(this.peer.address)) listener(message);
    });
  }

  override onClose(listener: (info: CloseInfo) => void): void {
    this.closeListener = listener;
    if (this.closeInfo) listener(this.closeInfo);
  }

  /** Called once by the owner when the inner connection closed. */
  closed(info: CloseInfo): void {
    if (this.closeInfo) return;
    this.closeInfo = info;
    this.closeListener?.(info);
  }
}
