import {
  type CloseInfo,
  CloseCodes,
  type Connection,
  type NodeIdentity,
  type SendResult,
  type TransportEvent,
} from '@troupe/transport';
import { WebSocket } from 'ws';
import { BatchFramer, LENGTH_PREFIX_BYTES } from './BatchFramer';
import { closeCodeName } from './closeCodeName';
import { frameBytes, type RawFrame } from './handshake';
import { closeReason, isValidCloseCode } from './closeSocket';

export interface ConnectionLimits {
  readonly maxMessageBytes: number;
  readonly maxBufferedBytes: number;
  /** A batch is flushed as soon as it reaches this size, without waiting for the end of the tick. */
  readonly batchBytes: number;
}

/** How a connection talks back to its transport. */
export interface ConnectionHooks {
  /** The connection stopped accepting sends (closing or closed): it no longer stands for its peer. */
  retired(connection: WsConnection): void;
  closed(connection: WsConnection, info: CloseInfo): void;
  report(event: TransportEvent): void;
  /** Runs user code (listeners) so that a throwing listener cannot break the transport's bookkeeping. */
  guard(what: string, fn: () => void): void;
  /** A listener threw: reported like `guard` reports it. */
  listenerThrew(what: string, error: unknown): void;
}

/**
 * Which of two connections between the same pair of nodes survives, given the address of the node that dialled
 * each. Dialled by the same node: the newer, since that node only dials again once it considers the older one
 * dead (it would have reused it otherwise). Dialled by each node (both dialled at once): the one dialled by the
 * node with the lower address. Both ends see the same dialers, so they keep the same connection.
 */
export function survives(candidateDialer: string, existingDialer: string): boolean {
  return candidateDialer === existingDialer || candidateDialer < existingDialer;
}

// ws reports frames over maxPayload as an error and closes with 1009; the other codes are ws's own.
const WS_ERROR_CLOSE_CODES: Record<string, number> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: CloseCodes.messageTooBig,
  WS_ERR_INVALID_UTF8: 1007,
};

/** An established connection over one WebSocket: batching, backpressure, liveness, closing. */
export class WsConnection implements Connection {
  private state: 'open' | 'closing' | 'closed' = 'open';
  private readonly framer = new BatchFramer();
  /** A flush is scheduled for the end of the current turn. */
  private flushPending = false;
  private messageListener: ((message: Uint8Array) => void) | undefined;
  // Messages that arrive before anyone listens; a dialer sets its listener only after `connect` resolved.
  private early: Uint8Array[] = [];
  private draining = false;
  private closeListener: ((info: CloseInfo) => void) | undefined;
  private closeInfo: CloseInfo | undefined;
  // Each listener hears of the close once; one set after the close still hears of it.
  private reportedTo: ((info: CloseInfo) => void) | undefined;
  // Why we closed, when we did: the peer only echoes our code, and a terminate or ws's own close reads 1006.
  private localClose: CloseInfo | undefined;
  private discarding = false;
  private unansweredPings = 0;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;

  constructor(
    private readonly ws: WebSocket,
    readonly peer: NodeIdentity,
    readonly inbound: boolean,
    /** Address of the node that dialled this connection: the peer's when inbound, ours otherwise. */
    readonly dialer: string,
    private readonly limits: ConnectionLimits,
    private readonly hooks: ConnectionHooks,
  ) {
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
    ws.on('message', (data: RawFrame, isBinary: boolean) => this.receive(data, isBinary));
    ws.on('pong', () => (this.unansweredPings = 0));
    ws.on('error', (error: Error & { code?: string }) => this.onSocketError(error));
    ws.on('close', (code: number, reason: Buffer) => this.onSocketClose(code, reason.toString('utf8')));
  }

  /** Open and able to carry messages: not closing on either side. */
  get isOpen(): boolean {
    return this.state === 'open' && this.ws.readyState === WebSocket.OPEN;
  }

  get maxMessageBytes(): number {
    return this.limits.maxMessageBytes;
  }

  get bufferedAmount(): number {
    return this.framer.size + this.ws.bufferedAmount;
  }

  send(message: Uint8Array): SendResult {
    if (!this.isOpen) return 'closed';
    const length = message.byteLength;
    if (length > this.limits.maxMessageBytes) return 'too-large';
    if (this.bufferedAmount + LENGTH_PREFIX_BYTES + length > this.limits.maxBufferedBytes)
      return 'backpressure';
    // Keep frames near the batch size: a message that would overflow the batch goes into the next one.
    if (this.framer.size > 0 && this.framer.size + LENGTH_PREFIX_BYTES + length > this.limits.batchBytes) {
      this.flush();
    }
    this.framer.append(message);
    if (this.framer.size >= this.limits.batchBytes) this.flush();
    else if (!this.flushPending) {
      // At the end of the current turn (after its promise jobs too), not at the next loop iteration: whatever one
      // turn sends (a dispatcher turn's replies, a burst of tells) still goes as one frame, and a lone reply does
      // not wait a round of the event loop.
      this.flushPending = true;
      process.nextTick(this.flushAtEndOfTurn);
    }
    return 'ok';
  }

  onMessage(listener: (message: Uint8Array) => void): void {
    this.messageListener = listener;
    // A listener that sets another one while early messages drain: the loop below hands the rest to it.
    if (this.draining) return;
    this.draining = true;
    while (this.early.length > 0 && !this.isClosed()) {
      const message = this.early.shift()!;
      const current = this.messageListener;
      this.hooks.guard('onMessage', () => current(message));
    }
    this.draining = false;
  }

  onClose(listener: (info: CloseInfo) => void): void {
    this.closeListener = listener;
    if (this.closeInfo) queueMicrotask(() => this.reportClose());
  }

  close(code: number = CloseCodes.normal, reason = ''): Promise<void> {
    // Already closing: the first close decided the code.
    if (this.state !== 'open') return this.closedPromise;
    if (!isValidCloseCode(code)) return Promise.reject(new RangeError(`invalid close code ${code}`));
    // Flush first: retiring clears nothing, and ws sends the close frame after the data already queued.
    this.flush();
    this.retire();
    // Unless the peer's close frame came first: then ws is already answering it, with the peer's code.
    if (this.ws.readyState === WebSocket.OPEN) {
      this.localClose = { code, reason };
      this.ws.close(code, closeReason(reason));
    }
    return this.closedPromise;
  }

  terminate(): void {
    if (this.state === 'closed') return;
    this.localClose ??= { code: 1006, reason: 'terminated' };
    this.drop();
    this.ws.terminate();
  }

  /** Called by the transport's heartbeat timer, once per interval. */
  heartbeat(): void {
    if (!this.isOpen) return;
    if (this.unansweredPings >= 2) {
      const detail = 'no pong for two heartbeat intervals';
      this.hooks.report({
        type: 'heartbeat-timeout',
        peer: this.peer.address,
        code: 'heartbeatTimeout',
        detail,
      });
      this.localClose = { code: CloseCodes.heartbeatTimeout, reason: 'heartbeat timeout' };
      // A stalled peer would hold a graceful close until ws's close timeout: say why, best effort, and cut.
      this.ws.close(CloseCodes.heartbeatTimeout, 'heartbeat timeout');
      this.drop();
      this.ws.terminate();
      return;
    }
    this.unansweredPings++;
    this.ws.ping();
  }

  /** Closes with a Troupe code after reporting why; used for duplicates and protocol violations. */
  closeBecause(code: number, event: TransportEvent): Promise<void> {
    this.hooks.report(event);
    return this.close(code, event.detail ?? '');
  }

  private readonly flushAtEndOfTurn = (): void => {
    if (!this.flushPending) return;
    this.flushPending = false;
    this.flush();
  };

  /** Writes the batch built so far as one frame now; the end-of-turn flush then finds nothing to do. */
  flush(): void {
    this.flushPending = false;
    const frame = this.framer.take();
    if (frame && this.ws.readyState === WebSocket.OPEN) this.ws.send(frame, { binary: true });
  }

  private receive(data: RawFrame, isBinary: boolean): void {
    if (this.state === 'closed' || this.discarding) return;
    // Any frame proves the peer alive: under load its pongs queue behind its data.
    this.unansweredPings = 0;
    const frame = isBinary ? frameBytes(data) : undefined;
    if (!frame || !BatchFramer.isWellFormed(frame)) {
      this.discarding = true;
      const detail = isBinary ? 'malformed batch frame' : 'text frame after the handshake';
      void this.closeBecause(CloseCodes.protocolViolation, {
        type: 'protocol-violation',
        peer: this.peer.address,
        code: 'protocolViolation',
        detail,
      });
      return;
    }
    BatchFramer.forEach(frame, this.deliver);
  }

  /** One message of a batch frame, to the listener; false once closed: nothing is delivered after onClose. */
  private readonly deliver = (message: Buffer): boolean => {
    // A listener may close the connection mid-batch.
    if (this.isClosed()) return false;
    const listener = this.messageListener;
    if (!listener) {
      this.early.push(message);
      return true;
    }
    // As `guard` does, without a closure per message.
    try {
      listener(message);
    } catch (error) {
      this.hooks.listenerThrew('onMessage', error);
    }
    return true;
  };

  private onSocketError(error: Error & { code?: string }): void {
    const code = WS_ERROR_CLOSE_CODES[error.code ?? ''] ?? 1002;
    if (this.state === 'closed' || this.localClose) return;
    // ws closes the socket itself after a protocol error; remember the code it sent, which our close event lacks.
    this.localClose = { code, reason: error.message };
    this.discarding = true;
    this.retire();
    const name = closeCodeName(code);
    this.hooks.report({
      type: 'protocol-violation',
      peer: this.peer.address,
      code: name,
      detail: error.message,
    });
  }

  private onSocketClose(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.retire();
    this.state = 'closed';
    this.drop();
    this.early = [];
    this.closeInfo = this.localClose ?? { code, reason };
    this.hooks.closed(this, this.closeInfo);
    this.resolveClosed();
    this.reportClose();
  }

  private reportClose(): void {
    const listener = this.closeListener;
    if (!listener || listener === this.reportedTo || !this.closeInfo) return;
    this.reportedTo = listener;
    const info = this.closeInfo;
    this.hooks.guard('onClose', () => listener(info));
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Stops sending: from here on `send` says 'closed' and the transport no longer hands this connection out. */
  private retire(): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.hooks.retired(this);
  }

  private drop(): void {
    this.retire();
    this.flushPending = false;
    this.framer.clear();
  }
}
