import { TransportError } from '@troupe/transport';

/**
 * `listen` could not start: the port is taken, the host is not an address of this machine, the TLS key does not
 * match the certificate, or the transport is already listening.
 *
 * @example
 * ```ts
 * await transport.listen(local, handler).catch((e) => {
 *   if (e instanceof ListenFailedError) console.error(e.code, e.address); // 'TRANSPORT_ERR_LISTEN'
 *   throw e;
 * });
 * ```
 */
export class ListenFailedError extends TransportError {
  constructor(
    readonly address: string,
    detail: string,
    cause?: unknown,
  ) {
    super('TRANSPORT_ERR_LISTEN', `could not listen on ${address}: ${detail}`, { cause });
  }
}
