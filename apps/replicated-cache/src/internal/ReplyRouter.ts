import { type ActorRef, type ActorSystem, receive } from '@troupe/core';
import type { CacheReply } from './protocol';

/** How often pending requests are checked against their deadlines: how late a timeout may be reported. */
const SWEEP_MS = 100;

type RouterMessage =
  CacheReply | { readonly type: 'cache/router-arm' } | { readonly type: 'cache/router-sweep' };

interface Pending {
  readonly resolve: (reply: CacheReply) => void;
  readonly reject: (error: unknown) => void;
  readonly deadline: number;
  readonly timeoutMs: number;
}

/**
 * One long-lived reply-to actor for all of a remote client's requests, instead of an ask (a temporary ref and a
 * timer) per request. Every request carries an id the coordinator echoes in its reply. Over the wire this is
 * what makes the replies cheap: they all go to the same actor with the same message type, so both ends reuse
 * the envelope's encoded head, and the coordinator decodes the same reply-to ref every time. Deadlines are
 * checked by one sweep every {@link SWEEP_MS}, only while requests are pending: no timer per request.
 */
export class ReplyRouter {
  readonly ref: ActorRef<CacheReply>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private armed = false;
  private stopped = false;

  constructor(
    private readonly system: ActorSystem,
    private readonly timedOut: (timeoutMs: number) => Error,
    private readonly gone: () => Error,
  ) {
    this.ref = system.spawn(
      receive<RouterMessage>(
        (ctx, msg) => {
          switch (msg.type) {
            case 'cache/reply': {
              const p = this.pending.get(msg.id);
              if (!p) return; // Late: it timed out already.
              this.pending.delete(msg.id);
              p.resolve(msg);
              return;
            }
            case 'cache/router-arm':
              ctx.timers.startTimerAtFixedRate('sweep', { type: 'cache/router-sweep' }, SWEEP_MS);
              return;
            case 'cache/router-sweep':
              this.sweep();
              if (this.pending.size === 0) {
                ctx.timers.cancel('sweep');
                this.armed = false;
              }
              return;
          }
        },
        (_ctx, signal) => {
          if (signal.type !== 'PostStop') return;
          this.stopped = true;
          const error = this.gone();
          for (const p of this.pending.values()) p.reject(error);
          this.pending.clear();
        },
      ) as never,
    ) as unknown as ActorRef<CacheReply>;
  }

  /** Sends a request (built around its id) and resolves with the reply, or rejects once `timeoutMs` passed. */
  request(send: (id: number, replyTo: ActorRef<CacheReply>) => void, timeoutMs: number): Promise<CacheReply> {
    if (this.stopped || this.system.isTerminated) return Promise.reject(this.gone());
    const id = this.nextId++;
    return new Promise<CacheReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, deadline: this.system.clock.now() + timeoutMs, timeoutMs });
      if (!this.armed) {
        this.armed = true;
        (this.ref as unknown as ActorRef<RouterMessage>).tell({ type: 'cache/router-arm' });
      }
      try {
        send(id, this.ref);
      } catch (e) {
        this.pending.delete(id);
        reject(e);
      }
    });
  }

  private sweep(): void {
    const now = this.system.clock.now();
    for (const [id, p] of this.pending) {
      if (p.deadline > now) continue;
      this.pending.delete(id);
      p.reject(this.timedOut(p.timeoutMs));
    }
  }
}
