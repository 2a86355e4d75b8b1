import type { Connection, NodeIdentity, Transport, TransportHandler } from '@troupe/transport';
import type { MemoryNode } from './internal/MemoryNode';

/** Options of {@link MemoryNetwork.transport}. */
export interface MemoryTransportOptions {
  /** The address peers dial; any string not held by a live transport. Default: the next free `mem-<n>`. */
  address?: string;
  /** Largest message accepted; a connection refuses what is over either side's limit. Default 1 MiB. */
  maxMessageBytes?: number;
  /** Bytes a connection may have on their way before `send` answers 'backpressure'. Default 16 MiB. */
  maxBufferedBytes?: number;
}

/**
 * One node's {@link Transport} on a {@link MemoryNetwork}; made by `net.transport()`, never directly.
 *
 * @example
 * ```ts
 * const net = new MemoryNetwork();
 * const a = net.transport({ address: 'a' });
 * const b = net.transport({ address: 'b' });
 * await b.listen({ system: 'shop', incarnation: 'b-1' }, {
 *   onConnection: (conn) => conn.onMessage((bytes) => console.log(`from ${conn.peer.address}`, bytes)),
 * });
 * await a.listen({ system: 'shop', incarnation: 'a-1' }, { onConnection: () => {} });
 * (await a.connect('b')).send(new Uint8Array([1, 2, 3]));
 * ```
 */
export class MemoryTransport implements Transport {
  /** @internal */
  constructor(private readonly node: MemoryNode) {}

  /** Where peers reach this node; known before `listen`, so a test can wire nodes up front. */
  get address(): string {
    return this.node.address;
  }

  listen(local: Omit<NodeIdentity, 'address'>, handler: TransportHandler): Promise<NodeIdentity> {
    return this.node.listen(local, handler);
  }

  connect(address: string): Promise<Connection> {
    return this.node.connect(address);
  }

  close(): Promise<void> {
    return this.node.close();
  }
}
