import {
  type CloseInfo,
  CloseCodes,
  type Connection,
  type NodeIdentity,
  type SendResult,
} from '@troupe/transport';
import type { Channel } from './Channel';
import { closeCodeName } from './closeCodeName';
import type { MemoryLink } from './MemoryLink';
import type { MemoryNode } from './MemoryNode';
import { guard } from './NetworkCore';

/** @internal One end of a {@link MemoryLink}, as its node sees it. */
export class MemoryConnection implements Connection {
  private messageListener: ((message: Uint8Array) => void) | undefined;
  private closeListener: ((info: CloseInfo) => void) | undefined;
  private closeInfo: CloseInfo | undefined;
  /** Closed before anyone listened: the next listener still hears of it. */
  private closeOwed = false;

  constructor(
    readonly link: MemoryLink,
    private readonly node: MemoryNode,
    readonly peer: NodeIdentity,
    readonly inbound: boolean,
    private readonly outbound: Channel,
  ) {}

  send(message: Uint8Array): SendResult {
    return this.link.send(this.outbound, this.node.maxBufferedBytes, message);
  }

  get maxMessageBytes(): number {
    return this.link.maxMessageBytes;
  }

  get bufferedAmount(): number {
    return this.outbound.bufferedBytes;
  }

  onMessage(listener: (message: Uint8Array) => void): void {
    this.messageListener = listener;
  }

  onClose(listener: (info: CloseInfo) => void): void {
    this.closeListener = listener;
    if (this.closeOwed) {
      this.closeOwed = false;
      const info = this.closeInfo!;
      const core = this.node.core;
      core.scheduler.schedule(0, () => {
        if (!core.shutDown) guard(listener, info);
      });
    }
  }

  close(code: number = CloseCodes.normal, reason = ''): Promise<void> {
    return this.link.close(code, reason);
  }

  terminate(): void {
    this.link.abort('terminated');
  }

  /** @internal */
  deliver(bytes: Uint8Array): void {
    const listener = this.messageListener;
    if (listener !== undefined) guard(listener, bytes);
  }

  /** @internal */
  notifyClosed(info: CloseInfo): void {
    this.closeInfo = info;
    const listener = this.closeListener;
    if (listener) guard(listener, info);
    else this.closeOwed = true;
    this.node.emit({
      type: 'connection-closed',
      peer: this.peer.address,
      code: closeCodeName(info.code),
      detail: info.reason,
    });
  }
}
