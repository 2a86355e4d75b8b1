/**
 * Close codes Troupe's transports use, in the WebSocket application range (4000-4999) where they are Troupe's
 * own. A peer closed with one of these knows exactly why.
 */
export const CloseCodes = {
  normal: 1000,
  goingAway: 1001,
  /** No close frame: the connection was lost (a crash, a cut cable). */
  abnormalClosure: 1006,
  /** ws's own: a frame over `maxPayload`. */
  messageTooBig: 1009,
  protocolViolation: 4001,
  versionMismatch: 4002,
  authenticationFailed: 4003,
  handshakeTimeout: 4004,
  systemMismatch: 4005,
  duplicateConnection: 4006,
  heartbeatTimeout: 4007,
} as const;

export type CloseCodeName = keyof typeof CloseCodes;
