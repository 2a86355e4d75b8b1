/**
 * `@troupe/remote`: location-transparent actors. A `tell`, an `ask` and a `watch` work the same whether the actor
 * lives here or on another node, over any `@troupe/transport` (in memory, WebSocket). Delivery is at most once
 * and in order per pair of actors.
 */
export {
  createNode,
  type PeerInfo,
  type RemoteEvent,
  type RemoteNode,
  type RemotingOptions,
  startRemoting,
} from './RemoteNode';
export { isPlainObject, type MessageCodec, messageType, Serialization } from './Serialization';
export { type ActorAddress, nodeAddress, parseAddress } from './ActorAddress';
export {
  DuplicateManifestError,
  InvalidAddressError,
  MalformedMessageError,
  RemoteError,
  UnknownManifestError,
  UnregisteredMessageError,
} from './RemoteError';
export { isActorRef } from './isActorRef';
