import type { Connection, NodeIdentity, Transport, TransportHandler } from './Transport';

/**
 * A {@link Transport} that passes every call through to another one and hands out its connections wrapped: the
 * base of a transport decorator (counting, tracing, partitioning), which says how to wrap a connection
 * (`wrapConnection`, usually a {@link ForwardingConnection}) and overrides only what else it changes. Each
 * underlying connection gets one wrapper, handed out from both `connect()` and `onConnection`, since remoting
 * tells connections apart by identity.
 *
 * @example
 * ```ts
 * class CountingTransport extends ForwardingTransport {
 *   sent = 0;
 *   protected wrapConnection(inner: Connection): Connection {
 *     const transport = this;
 *     return new (class extends ForwardingConnection {
 *       override send(message: Uint8Array): SendResult {
 *         const result = super.send(message);
 *         if (result === 'ok') transport.sent++;
 *         return result;
 *       }
 *     })(inner);
 *   }
 * }
 * ```
 */
export abstract class ForwardingTransport implements Transport {
  private readonly wrappers = new WeakMap<Connection, Connection>();

  constructor(
    /** The transport calls are passed to. */
    protected readonly inner: Transport,
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

  /** The one wrapper of `connection`, made by `wrapConnection` the first time. */
  protected wrap(connection: Connection): Connection {
    let wrapper = this.wrappers.get(connection);
    if (!wrapper) {
      wrapper = this.wrapConnection(connection);
      this.wrappers.set(connection, wrapper);
    }
    return wrapper;
  }

  /** Makes the wrapper of a connection this transport has not handed out before. */
  protected abstract wrapConnection(connection: Connection): Connection;
}
