import type { CloseInfo, Connection, NodeIdentity, SendResult } from './Transport';

/**
 * A {@link Connection} that passes every call through to another one: the base of a transport decorator's
 * connection, which overrides only what it changes (counting bytes, dropping messages, tracing) and inherits
 * the rest. A decorator should make one wrapper per underlying connection and hand out that same object from
 * `connect()` and `onConnection`, since remoting tells connections apart by identity.
 *
 * @example
 * ```ts
 * class CountingConnection extends ForwardingConnection {
 *   sent = 0;
 *   override send(message: Uint8Array): SendResult {
 *     const result = super.send(message);
 *     if (result === 'ok') this.sent++;
 *     return result;
 *   }
 * }
 * ```
 */
export class ForwardingConnection implements Connection {
  constructor(
    /** The connection calls are passed to. */
    protected readonly inner: Connection,
  ) {}

  get peer(): NodeIdentity {
    return this.inner.peer;
  }

  get inbound(): boolean {
    return this.inner.inbound;
  }

  get maxMessageBytes(): number {
    return this.inner.maxMessageBytes;
  }

  get bufferedAmount(): number {
    return this.inner.bufferedAmount;
  }

  send(message: Uint8Array): SendResult {
    return this.inner.send(message);
  }

  flush(): void {
    this.inner.flush?.();
  }

  onMessage(listener: (message: Uint8Array) => void): void {
    this.inner.onMessage(listener);
  }

  onClose(listener: (info: CloseInfo) => void): void {
    this.inner.onClose(listener);
  }

  close(code?: number, reason?: string): Promise<void> {
    return this.inner.close(code, reason);
  }

  terminate(): void {
    this.inner.terminate();
  }
}
