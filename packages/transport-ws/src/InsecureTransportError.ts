import { TransportError } from '@troupe/transport';

/**
 * Thrown by the {@link WebSocketTransport} constructor when asked to listen on a host other machines can reach
 * without a shared secret: anybody who can reach the port could join the cluster and send any actor anything.
 *
 * @example
 * ```ts
 * try {
 *   new WebSocketTransport({ host: '0.0.0.0' });
 * } catch (e) {
 *   if (e instanceof InsecureTransportError) console.error(e.code); // 'TRANSPORT_ERR_INSECURE'
 * }
 * ```
 */
export class InsecureTransportError extends TransportError {
  constructor(readonly host: string) {
    super(
      'TRANSPORT_ERR_INSECURE',
      `refusing to listen on ${host} without a secret: only loopback hosts may run unauthenticated`,
    );
  }
}
