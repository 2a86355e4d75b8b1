import {
  type CloseInfo,
  type Connection,
  ForwardingConnection,
  ForwardingTransport,
  type NodeIdentity,
  type SendResult,
  type Transport,
  type TransportHandler,
} from '@troupe/transport';

/** What the tracing transport reports to the simulation. */
export interface NetworkTap {
  /** Network counters (sent/dropped/duplicated), read around each send to see what the network decided. */
  counters(): { readonly dropped: number; readonly duplicated: number };
  sent(
    from: string,
    to: string,
    bytes: Uint8Array,
    result: SendResult,
    dropped: boolean,
    duplicated: boolean,
  ): void;
  delivered(from: string, to: string, bytes: Uint8Array): void;
  /** An exception escaped remoting's listener: a bug to report, not something to rethrow into the network. */
  fault(error: unknown, context: string): void;
}

/**
 * A node's transport as the simulation sees it: every message sent and delivered goes into the trace, and an
 * exception from a listener fails the run (the memory network would rethrow it as an uncaught exception, which
 * would take the whole test process down rather than fail one seed).
 */
export class TracingTransport extends ForwardingTransport {
  constructor(
    inner: Transport,
    /** This node's transport address. */
    private readonly address: string,
    private readonly tap: NetworkTap,
  ) {
    super(inner);
  }

  override listen(local: Omit<NodeIdentity, 'address'>, handler: TransportHandler): Promise<NodeIdentity> {
    const guard = (run: () => void, what: string): void => {
      try {
        run();
      } catch (error) {
        this.tap.fault(error, `${this.address}: ${what}`);
      }
    };
    return super.listen(local, {
      onConnection: (connection) => guard(() => handler.onConnection(connection), 'onConnection'),
      onEvent: (event) => guard(() => handler.onEvent?.(event), 'onEvent'),
    });
  }

  protected wrapConnection(connection: Connection): Connection {
    return new TracedConnection(connection, this.address, this.tap);
  }
}

class TracedConnection extends ForwardingConnection {
  constructor(
    inner: Connection,
    private readonly local: string,
    private readonly tap: NetworkTap,
  ) {
    super(inner);
  }

  override send(message: Uint8Array): SendResult {
    const before = this.tap.counters();
    const dropped = before.dropped;
    const duplicated = before.duplicated;
    const result = this.inner.send(message);
    const after = this.tap.counters();
    this.tap.sent(
      this.local,
      this.inner.peer.address,
      message,
      result,
      after.dropped > dropped,
      after.duplicated > duplicated,
    );
    return result;
  }

  override onMessage(listener: (message: Uint8Array) => void): void {
    const from = this.inner.peer.address;
    this.inner.onMessage((bytes) => {
      this.tap.delivered(from, this.local, bytes);
      try {
        listener(bytes);
      } catch (error) {
        this.tap.fault(error, `${this.local}: onMessage from ${from}`);
      }
    });
  }

  override onClose(listener: (info: CloseInfo) => void): void {
    this.inner.onClose((info) => {
      try {
        listener(info);
      } catch (error) {
        this.tap.fault(error, `${this.local}: onClose of ${this.inner.peer.address}`);
      }
    });
  }
}
