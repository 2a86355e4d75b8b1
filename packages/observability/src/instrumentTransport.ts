import {
  type CloseInfo,
  type Connection,
  ForwardingConnection,
  ForwardingTransport,
  type SendResult,
  type Transport,
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

class InstrumentedTransport extends ForwardingTransport {
  constructor(
    inner: Transport,
    private readonly meter: TransportMeter,
  ) {
    super(inner);
  }

  protected wrapConnection(connection: Connection): Connection {
    return new InstrumentedConnection(connection, this.meter);
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
