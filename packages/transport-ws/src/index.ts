/**
 * `@troupe/transport-ws`: Troupe's transport over WebSockets. HMAC-authenticated handshake with a shared secret,
 * optional TLS, batched frames, bounded outbound buffers, heartbeats, one connection per pair of nodes.
 */
export { InsecureTransportError } from './InsecureTransportError';
export { ListenFailedError } from './ListenFailedError';
export { WEBSOCKET_PATH, WebSocketTransport } from './WebSocketTransport';
export {
  WEBSOCKET_TRANSPORT_DEFAULTS,
  type WebSocketTlsOptions,
  type WebSocketTransportOptions,
} from './WebSocketTransportOptions';
