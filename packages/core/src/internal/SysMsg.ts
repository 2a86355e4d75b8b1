import type { InternalRef } from './InternalRef';

/** System message kinds: always handled before user messages, never bounded, never dropped. */
export enum SysKind {
  Watch,
  Unwatch,
  DeathWatch,
  Failed,
  ChildTerminated,
  Stop,
  Resume,
  Restart,
}

/** A system message. `ref` is the sender (watcher, failed child, terminated actor); `error` for Failed and Restart. */
export class SysMsg {
  constructor(
    readonly kind: SysKind,
    readonly ref: InternalRef,
    readonly error?: unknown,
  ) {}
}
