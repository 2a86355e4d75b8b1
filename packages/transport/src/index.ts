/**
 * `@troupe/transport`: the seam between Troupe's remoting and the wire. A transport moves byte messages between
 * authenticated peers; it knows nothing of actors.
 */
export type {
  CloseInfo,
  Connection,
  NodeIdentity,
  SendResult,
  Transport,
  TransportEvent,
  TransportHandler,
} from './Transport';
export {
  AuthenticationError,
  ConnectFailedError,
  HandshakeTimeoutError,
  ProtocolError,
  SystemMismatchError,
  TransportClosedError,
  TransportError,
} from './TransportError';
export { type CloseCodeName, CloseCodes } from './closeCodes';
export { ForwardingConnection } from './ForwardingConnection';
export { ForwardingTransport } from './ForwardingTransport';
