import {
  InvalidArgumentError,
  AskTimeoutError,
  RecipientTerminatedError,
  SystemTerminatedError,
} from './ActorError';
import type { ActorRef } from './ActorRef';
import { systemOf, type ActorSystemImpl } from './ActorSystem';
import { ActorCell } from './internal/ActorCell';
import { BaseRef } from './internal/BaseRef';
import { SysKind, SysMsg } from './internal/SysMsg';

export interface AskOptions {
  /** How long to wait for the reply. Default 5000 ms. */
  timeoutMs?: number;
}

/**
 * The temporary actor an ask replies to: the first message completes the ask, anything later is a dead letter.
 * It lives under `/temp` and is gone once the ask completes, either way.
 */
class AskRef<Res> extends BaseRef<Res> {
  private done = false;
  private timer: unknown;
  readonly name: string;

  constructor(
    private readonly sys: ActorSystemImpl,
    id: number,
    private readonly resolve: (value: Res) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    super();
    this.name = '$' + id.toString(36);
  }

  get path(): string {
    return '/temp/' + this.name;
  }

  start(timeoutMs: number, target: string): void {
    this.sys.temps.set(this.name, this);
    this.timer = this.sys.clock.setTimeout(
      () => this.abort(new AskTimeoutError(target, timeoutMs)),
      timeoutMs,
    );
  }

  tell(message: Res): void {
    if (this.done) {
      this.sys.deadLetter(this.path, message, 'ask-already-completed');
      return;
    }
    this.finish();
    this.resolve(message);
  }

  abort(error: unknown): void {
    if (this.done) return;
    this.finish();
    this.reject(error);
  }

  private finish(): void {
    this.done = true;
    this.sys.clock.clearTimeout(this.timer);
    this.sys.temps.delete(this.name);
  }

  sendSystem(msg: SysMsg): void {
    // Watching a reply ref: it counts as terminated once its ask has completed.
    if (msg.kind === SysKind.Watch && this.done) msg.ref.sendSystem(new SysMsg(SysKind.DeathWatch, this));
  }

  override toString(): string {
    return `troupe://${this.sys.name}${this.path}`;
  }
}

/**
 * Sends the request built by `build` (around a temporary reply-to ref) and resolves with the first reply.
 * Rejects with `AskTimeoutError` when no reply comes within the timeout, with `RecipientTerminatedError` when
 * the target is a local actor that has already terminated, and with whatever `build` throws.
 *
 * @example
 * ```ts
 * type Get = { type: 'get'; replyTo: ActorRef<number> };
 * const n = await ask(counter, (replyTo): Get => ({ type: 'get', replyTo }), { timeoutMs: 1000 });
 * ```
 */
export function ask<Req, Res>(
  target: ActorRef<Req>,
  build: (replyTo: ActorRef<Res>) => Req,
  options: AskOptions = {},
): Promise<Res> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise<Res>((resolve, reject) => {
    const sys = systemOf(target as ActorRef<never>);
    if (!sys) {
      reject(new InvalidArgumentError(`cannot ask ${String(target)}: not a ref of a known actor system`));
      return;
    }
    if (!(timeoutMs > 0)) {
      reject(new InvalidArgumentError('ask needs timeoutMs > 0'));
      return;
    }
    if (sys.isTerminated) {
      reject(new SystemTerminatedError(sys.name));
      return;
    }
    if (target instanceof ActorCell && target.isTerminated) {
      reject(new RecipientTerminatedError(target.path));
      return;
    }
    const replyTo = new AskRef<Res>(sys, sys.nextId(), resolve, reject);
    let request: Req;
    try {
      request = build(replyTo);
    } catch (e) {
      reject(e);
      return;
    }
    replyTo.start(timeoutMs, target.path);
    target.tell(request);
  });
}
