/**
 * TLS material: the certificate and key this node serves, and the CA it verifies the nodes it dials with. With
 * TLS the shared secret still authenticates nodes; TLS adds confidentiality and integrity on the wire.
 *
 * @example
 * ```ts
 * const tls: WebSocketTlsOptions = {
 *   cert: readFileSync('node-1.pem'),
 *   key: readFileSync('node-1-key.pem'),
 *   ca: readFileSync('cluster-ca.pem'),
 * };
 * ```
 */
export interface WebSocketTlsOptions {
  /** PEM certificate (chain) this node serves. */
  readonly cert: string | Buffer;
  /** PEM private key of `cert`. */
  readonly key: string | Buffer;
  /** CA certificates to verify peers' certificates with, instead of the system's; for a private cluster CA. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Verify the peer's certificate when dialling. Default true; turning it off defeats the point of TLS. */
  readonly rejectUnauthorized?: boolean;
}

/**
 * Options of {@link WebSocketTransport}. Every size and time has a default meant for production; tests shrink
 * them.
 *
 * @example
 * ```ts
 * const transport = new WebSocketTransport({
 *   host: '10.0.0.5',
 *   port: 4711,
 *   secret: process.env.TROUPE_SECRET,
 *   tls: { cert: readFileSync('node.pem'), key: readFileSync('node.key'), ca: readFileSync('cluster-ca.pem') },
 * });
 * ```
 */
export interface WebSocketTransportOptions {
  /** Interface to listen on. Default '127.0.0.1'. Any non-loopback host requires `secret`. */
  readonly host?: string;
  /** Port to listen on; 0 lets the OS choose (the address `listen` resolves with has the real one). Default 0. */
  readonly port?: number;
  /**
   * Host peers should dial, when it differs from `host` (listening on '0.0.0.0', behind NAT). Default `host`.
   * Nodes are told apart by this address, so it must be the same string every peer uses to dial this node.
   */
  readonly advertisedHost?: string;
  /**
   * Shared cluster secret. Both ends of every connection prove they know it (HMAC-SHA256 over fresh nonces), and
   * it never crosses the wire. Without one, the transport only listens on loopback and warns.
   */
  readonly secret?: string | Buffer;
  /** When set, listen with HTTPS and dial `wss://`. */
  readonly tls?: WebSocketTlsOptions;
  /** Largest message `send` accepts; bigger ones get 'too-large'. Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /**
   * Largest WebSocket frame accepted from a peer (ws's `maxPayload`); a peer sending a bigger one is closed with
   * 1009. Must leave room for one message and its length prefix. Default 8 MiB.
   */
  readonly maxFrameBytes?: number;
  /**
   * Outbound bound per connection (queued plus in the socket); beyond it `send` says 'backpressure' instead of
   * buffering without limit. At least `maxMessageBytes` + 4. Default 16 MiB.
   */
  readonly maxBufferedBytes?: number;
  /** A batch frame is written as soon as it reaches this size instead of at the end of the tick. Default 64 KiB. */
  readonly batchBytes?: number;
  /** Time from dialling (or accepting) to a finished handshake. Default 5000 ms. */
  readonly handshakeTimeoutMs?: number;
  /**
   * Ping interval. A connection that has answered neither of the last two pings (any frame from the peer counts
   * as an answer, since its pongs queue behind its data) is terminated with 4007 and a 'heartbeat-timeout'
   * event: a dead peer is found two to three intervals after it went silent. 0 turns heartbeats off (when the
   * layer above detects failures on its own). Default 5000 ms.
   */
  readonly heartbeatIntervalMs?: number;
  /** How long a closing handshake may take before the socket is destroyed. Default 5000 ms. */
  readonly closeTimeoutMs?: number;
}

/**
 * The defaults of {@link WebSocketTransportOptions}.
 *
 * @example
 * ```ts
 * // Four times the default message size (still under maxFrameBytes), and room to buffer as many of them.
 * const transport = new WebSocketTransport({
 *   secret,
 *   maxMessageBytes: 4 * WEBSOCKET_TRANSPORT_DEFAULTS.maxMessageBytes,
 *   maxBufferedBytes: 4 * WEBSOCKET_TRANSPORT_DEFAULTS.maxBufferedBytes,
 * });
 * ```
 */
export const WEBSOCKET_TRANSPORT_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  maxMessageBytes: 1024 * 1024,
  maxFrameBytes: 8 * 1024 * 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
  batchBytes: 64 * 1024,
  handshakeTimeoutMs: 5000,
  heartbeatIntervalMs: 5000,
  closeTimeoutMs: 5000,
} as const;
