import { WebSocket } from 'ws';

/** The codes ws (and RFC 6455) allow in a close frame; 1005 and 1006 are only ever reported, never sent. */
export function isValidCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
      (code >= 3000 && code <= 4999))
  );
}

const MAX_REASON_BYTES = 123;

/** A close frame's reason is limited to 123 bytes of UTF-8, and ws throws on longer ones: cut, never split a character. */
export function closeReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_REASON_BYTES) return reason;
  let cut = '';
  for (const char of reason) {
    if (Buffer.byteLength(cut + char) > MAX_REASON_BYTES) break;
    cut += char;
  }
  return cut;
}

/**
 * Closes a socket that is not (or no longer) a connection: a refused peer, an aborted dial. An open socket gets
 * a close frame with the code, so the peer learns why; ws's close timeout bounds how long a peer that never
 * answers can hold it. A socket still connecting is simply dropped.
 */
export function closeSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === WebSocket.OPEN) ws.close(code, closeReason(reason));
  else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
}
