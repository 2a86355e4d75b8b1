import { InsecureTransportError } from '../InsecureTransportError';
import {
  type WebSocketTlsOptions,
  WEBSOCKET_TRANSPORT_DEFAULTS as DEFAULTS,
  type WebSocketTransportOptions,
} from '../WebSocketTransportOptions';
import { isLoopback } from './address';
import { LENGTH_PREFIX_BYTES } from './BatchFramer';

export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly advertisedHost: string;
  /** Empty when running without a secret; the handshake then proves nothing, which loopback-only tolerates. */
  readonly secret: Buffer;
  readonly hasSecret: boolean;
  readonly tls: WebSocketTlsOptions | undefined;
  readonly maxMessageBytes: number;
  readonly maxFrameBytes: number;
  readonly maxBufferedBytes: number;
  readonly batchBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly closeTimeoutMs: number;
}

function integer(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return v;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
// ws keeps a frame in memory whole; beyond this a single frame is a denial of service, not a message.
const MAX_FRAME_LIMIT = 2 ** 31 - 1;

/** Validates the options and fills in defaults; throws on anything unusable rather than failing later. */
export function resolveOptions(options: WebSocketTransportOptions): ResolvedOptions {
  const host = options.host ?? DEFAULTS.host;
  if (typeof host !== 'string' || host.length === 0) throw new TypeError('host must be a non-empty string');
  const advertisedHost = options.advertisedHost ?? host;
  if (typeof advertisedHost !== 'string' || advertisedHost.length === 0) {
    throw new TypeError('advertisedHost must be a non-empty string');
  }
  const secret =
    options.secret === undefined
      ? Buffer.alloc(0)
      : typeof options.secret === 'string'
        ? Buffer.from(options.secret, 'utf8')
        : Buffer.from(options.secret);
  if (options.secret !== undefined && secret.length === 0) throw new TypeError('secret must not be empty');
  const hasSecret = secret.length > 0;
  if (!hasSecret && !isLoopback(host)) throw new InsecureTransportError(host);
  if (options.tls && (!options.tls.cert || !options.tls.key)) throw new TypeError('tls needs cert and key');

  const maxFrameBytes = integer(
    'maxFrameBytes',
    options.maxFrameBytes,
    DEFAULTS.maxFrameBytes,
    64,
    MAX_FRAME_LIMIT,
  );
  const maxMessageBytes = integer(
    'maxMessageBytes',
    options.maxMessageBytes,
    Math.min(DEFAULTS.maxMessageBytes, maxFrameBytes - LENGTH_PREFIX_BYTES),
    0,
    maxFrameBytes - LENGTH_PREFIX_BYTES,
  );
  const maxBufferedBytes = integer(
    'maxBufferedBytes',
    options.maxBufferedBytes,
    Math.max(DEFAULTS.maxBufferedBytes, maxMessageBytes + LENGTH_PREFIX_BYTES),
    maxMessageBytes + LENGTH_PREFIX_BYTES,
    Number.MAX_SAFE_INTEGER,
  );
  const batchBytes = integer(
    'batchBytes',
    options.batchBytes,
    Math.min(DEFAULTS.batchBytes, maxFrameBytes),
    1,
    maxFrameBytes,
  );
  return {
    host,
    port: integer('port', options.port, DEFAULTS.port, 0, 65535),
    advertisedHost,
    secret,
    hasSecret,
    tls: options.tls,
    maxMessageBytes,
    maxFrameBytes,
    maxBufferedBytes,
    batchBytes,
    handshakeTimeoutMs: integer(
      'handshakeTimeoutMs',
      options.handshakeTimeoutMs,
      DEFAULTS.handshakeTimeoutMs,
      1,
      MAX_TIMER_MS,
    ),
    heartbeatIntervalMs: integer(
      'heartbeatIntervalMs',
      options.heartbeatIntervalMs,
      DEFAULTS.heartbeatIntervalMs,
      0,
      MAX_TIMER_MS,
    ),
    closeTimeoutMs: integer(
      'closeTimeoutMs',
      options.closeTimeoutMs,
      DEFAULTS.closeTimeoutMs,
      1,
      MAX_TIMER_MS,
    ),
  };
}
