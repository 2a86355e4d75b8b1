import type { InternalRef } from './InternalRef';

/** @internal System message kinds: always handled before user messages, never bounded, never dropped. */
export const enum SysKind {
  Watch,
  Unwatch,
  DeathWatch,
  Failed,
  ChildTerminated,
  Stop,
  Resume,
  Restart,
}

/** @internal `ref` is the sender (watcher, failed child, terminated actor); `error` for Failed and Restart. */
export class SysMsg {
  constructor(
    readonly kind: SysKind,
    readonly ref: InternalRef,
    readonly error?: unknown,
  ) {}
}
