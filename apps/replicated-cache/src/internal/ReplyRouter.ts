import { type ActorRef, type ActorSystem, receive } from '@troupe/core';
import {
  FAILED_STRIDE,
  FOUND_STRIDE,
  type CacheReply,
  type CacheReplyBatch,
  type ClientRequestBatch,
  REQUEST_STRIDE,
} from './protocol';

/** How often pending requests are checked against their deadlines: how late a timeout may be reported. */
const SWEEP_MS = 100;

type RouterMessage =
  CacheReplyBatch | { readonly type: 'cache/router-arm' } | { readonly type: 'cache/router-sweep' };

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
 * checked by one sweep every {@link SWEEP_MS}, only while requests are pending: no timer per request. The
 * requests made in one turn of this process go to each coordinator in one message ({@link ReplyRouter.batched}),
 * and their answers come back in one per turn of the coordinator.
 */
export class ReplyRouter {
  readonly ref: ActorRef<CacheReply>;
  private readonly pending = new Map<number, Pending>();
  /** Requests not sent yet, per coordinator: they go at the end of this turn (a microtask). */
  private readonly outboxes = new Map<ActorRef<ClientRequestBatch>, { items: unknown[]; bytes: number }>();
  private flushQueued = false;
  private nextId = 1;
  private armed = false;
  private stopped = false;

  constructor(
    private readonly system: ActorSystem,
    private readonly timedOut: (timeoutMs: number) => Error,
    private readonly gone: () => Error,
    /** The most one batch of requests to a coordinator may count (`CacheSettings.maxMessageBytes`). */
    private readonly maxMessageBytes: number,
  ) {
    this.ref = system.spawn(
      receive<RouterMessage>(
        (ctx, msg) => {
          switch (msg.type) {
            case 'cache/reply-batch': {
              for (const id of msg.done) this.resolve(id, true, false, null, null, null);
              const { found, failed } = msg;
              for (let i = 0; i < found.length; i += FOUND_STRIDE)
                this.resolve(found[i] as number, true, true, found[i + 1], null, null);
              for (let i = 0; i < failed.length; i += FAILED_STRIDE)
                this.resolve(
                  failed[i] as number,
                  false,
                  false,
                  null,
                  failed[i + 1] as string,
                  failed[i + 2] as string,
                );
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
  private request(send: (id: number) => void, timeoutMs: number): Promise<CacheReply> {
    if (this.stopped || this.system.isTerminated) return Promise.reject(this.gone());
    const id = this.nextId++;
    return new Promise<CacheReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, deadline: this.system.clock.now() + timeoutMs, timeoutMs });
      if (!this.armed) {
        this.armed = true;
        (this.ref as unknown as ActorRef<RouterMessage>).tell({ type: 'cache/router-arm' });
      }
      try {
        send(id);
      } catch (e) {
        this.pending.delete(id);
        reject(e);
      }
    });
  }

  /**
   * Like `request`, but the request (which `add(id, items)` appends to the items of a {@link ClientRequestBatch})
   * waits for the others this process makes in the same turn, and goes to `coordinator` with them in one message.
   */
  batched(
    coordinator: ActorRef<ClientRequestBatch>,
    add: (id: number, items: unknown[]) => void,
    timeoutMs: number,
    /** What the request adds to the message, counted as the coordinator counts its own messages. */
    bytes: number,
  ): Promise<CacheReply> {
    return this.request((id) => {
      let box = this.outboxes.get(coordinator);
      // A message over the transport's largest would be refused whole, and every request in it lost.
      if (box && box.bytes + bytes > this.maxMessageBytes) {
        this.send(coordinator, box.items);
        box = undefined;
      }
      if (!box) this.outboxes.set(coordinator, (box = { items: [], bytes: 0 }));
      box.bytes += bytes;
      add(id, box.items);
      if (!this.flushQueued) {
        this.flushQueued = true;
        queueMicrotask(() => this.flush());
      }
    }, timeoutMs);
  }

  private flush(): void {
    this.flushQueued = false;
    for (const [coordinator, box] of this.outboxes) this.send(coordinator, box.items);
    this.outboxes.clear();
  }

  private send(coordinator: ActorRef<ClientRequestBatch>, items: unknown[]): void {
    this.outboxes.delete(coordinator);
    const replyTo = this.ref as unknown as ActorRef<CacheReplyBatch>;
    try {
      coordinator.tell({ type: 'cache/requests', items, replyTo });
    } catch (e) {
      // Refused as a whole (the system stopping): every request in it fails.
      for (let i = 1; i < items.length; i += REQUEST_STRIDE) this.take(items[i] as number)?.reject(e);
    }
  }

  private resolve(
    id: number,
    ok: boolean,
    found: boolean,
    value: unknown,
    code: string | null,
    reason: string | null,
  ): void {
    // None when late: it timed out already.
    this.take(id)?.resolve({ type: 'cache/reply', id, ok, found, value, code, reason });
  }

  /** The pending request `id`, no longer pending. */
  private take(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (p) this.pending.delete(id);
    return p;
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
