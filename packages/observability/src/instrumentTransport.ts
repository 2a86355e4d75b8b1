import {
  type CloseInfo,
  type Connection,
  ForwardingConnection,
  type NodeIdentity,
  type SendResult,
  type Transport,
  type TransportHandler,
} from '@troupe/transport';

/** What an instrumented transport reports. `createNodeMetrics(...).transportMeter` is one. */
export interface TransportMeter {
  /** A connection finished its handshake (inbound or outbound). */
  connectionOpened(): void;
  /** That connection closed, for whatever reason. */
  connectionClosed(): void;
  /** A message of `bytes` bytes was accepted by `send` (result `ok`). */
  bytesSent(bytes: number): void;
  /** A message of `bytes` bytes was handed to the connection's listener. */
  bytesReceived(bytes: number): void;
}

/**
 * Wraps a transport so that its connections and bytes are counted, changing nothing else: every call and
 * every callback passes through, in order. Each underlying connection gets exactly one wrapper, so the
 * connection `connect` resolves with is the very object `onConnection` was given, as remoting expects.
 *
 * @example
 * ```ts
 * const metrics = createNodeMetrics({ system, labels: { node: 'a' } });
 * const node = await startRemoting({ system, transport: instrumentTransport(net.transport(), metrics.transportMeter) });
 * ```
 */
export function instrumentTransport(transport: Transport, meter: TransportMeter): Transport {
  return new InstrumentedTransport(transport, meter);
}

class InstrumentedTransport implements Transport {
  private readonly wrappers = new WeakMap<Connection, InstrumentedConnection>();

  constructor(
    private readonly inner: Transport,
    private readonly meter: TransportMeter,
  ) {}

  listen(local: Omit<NodeIdentity, 'address'>, handler: TransportHandler): Promise<NodeIdentity> {
    return this.inner.listen(local, {
      onConnection: (connection) => handler.onConnection(this.wrap(connection)),
      ...(handler.onEvent ? { onEvent: (event) => handler.onEvent!(event) } : {}),
    });
  }

  async connect(address: string): Promise<Connection> {
    return this.wrap(await this.inner.connect(address));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private wrap(connection: Connection): InstrumentedConnection {
    let w = this.wrappers.get(connection);
    if (!w) {
      w = new InstrumentedConnection(connection, this.meter);
      this.wrappers.set(connection, w);
    }
    return w;
  }
}

class InstrumentedConnection extends ForwardingConnection {
  private closeListener: ((info: CloseInfo) => void) | undefined;
  private closed: CloseInfo | undefined;

  constructor(
    inner: Connection,
    private readonly meter: TransportMeter,
  ) {
    super(inner);
    meter.connectionOpened();
    // Listened to from the start, so that a connection closed before (or without) anyone listening is still
    // counted as closed; the application's listener is called from here.
    inner.onClose((info) => {
      if (this.closed) return;
      this.closed = info;
      meter.connectionClosed();
      const listener = this.closeListener;
      if (listener) listener(info);
    });
  }

  override send(message: Uint8Array): SendResult {
    const result = this.inner.send(message);
    if (result === 'ok') this.meter.bytesSent(message.byteLength);
    return result;
  }

  override onMessage(listener: (message: Uint8Array) => void): void {
    const meter = this.meter;
    this.inner.onMessage((message) => {
      meter.bytesReceived(message.byteLength);
      listener(message);
    });
  }

  override onClose(listener: (info: CloseInfo) => void): void {
    this.closeListener = listener;
    const closed = this.closed;
    // As the transports do for a late listener: it still hears of the close once, asynchronously.
    if (closed) queueMicrotask(() => listener(closed));
  }
}
