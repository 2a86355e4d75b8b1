/**
 * Base class of transport errors; `code` is stable (`TRANSPORT_ERR_*`).
 *
 * @example
 * ```ts
 * transport.connect(addr).catch((e) => { if (e instanceof TransportError && e.code === 'TRANSPORT_ERR_AUTH') ... });
 * ```
 */
export class TransportError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Could not reach the address (refused, unreachable, no such node). */
export class ConnectFailedError extends TransportError {
  constructor(
    readonly address: string,
    cause?: unknown,
  ) {
    super('TRANSPORT_ERR_CONNECT', `could not connect to ${address}`, { cause });
  }
}

/** The peer did not prove the shared secret (or we could not prove it to the peer). */
export class AuthenticationError extends TransportError {
  constructor(detail: string) {
    super('TRANSPORT_ERR_AUTH', `authentication failed: ${detail}`);
  }
}

/** The peer broke the protocol: spoke out of turn, sent a malformed or oversized frame, wrong version. */
export class ProtocolError extends TransportError {
  constructor(detail: string) {
    super('TRANSPORT_ERR_PROTOCOL', `protocol violation: ${detail}`);
  }
}

/** The handshake did not finish in time. */
export class HandshakeTimeoutError extends TransportError {
  constructor(
    readonly address: string,
    readonly timeoutMs: number,
  ) {
    super(
      'TRANSPORT_ERR_HANDSHAKE_TIMEOUT',
      `handshake with ${address} did not finish within ${timeoutMs} ms`,
    );
  }
}

/** The transport is closed (or was never listening). */
export class TransportClosedError extends TransportError {
  constructor() {
    super('TRANSPORT_ERR_CLOSED', 'the transport is closed');
  }
}

/** The peer belongs to another actor system (another cluster). */
export class SystemMismatchError extends TransportError {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super('TRANSPORT_ERR_SYSTEM_MISMATCH', `peer belongs to system ${actual}, not ${expected}`);
  }
}
