/**
 * The floor every implementation is compared against: no supervision, no lifecycle, no
 * error handling, just an array mailbox per actor and one run queue drained in microtasks.
 */
export class BareQueue {
  private runQueue: BareActor<any>[] = [];
  private drainScheduled = false;

  schedule(actor: BareActor<any>): void {
    this.runQueue.push(actor);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      queueMicrotask(this.drain);
    }
  }

  // A drain runs the actors runnable when it starts; actors they make runnable wait for the
  // next microtask. So one drain is one batch, and a lone message
  // bouncing between two actors (ping-pong-1) pays for a microtask per hop.
  private readonly drain = (): void => {
    const batch = this.runQueue;
    this.runQueue = [];
    this.drainScheduled = false;
    for (let i = 0; i < batch.length; i++) batch[i].run();
  };
}

export type BareHandler<M> = (msg: M, self: BareActor<M>) => void;

export class BareActor<M> {
  // Created on first message so idle actors pay only for the field.
  private mailbox: M[] | null = null;
  private scheduled = false;

  constructor(
    private readonly handler: BareHandler<M>,
    private readonly queue: BareQueue,
  ) {}

  tell(msg: M): void {
    (this.mailbox ??= []).push(msg);
    if (!this.scheduled) {
      this.scheduled = true;
      this.queue.schedule(this);
    }
  }

  run(): void {
    const mailbox = this.mailbox!;
    // Index instead of shift(): shift is O(n) on large arrays.
    for (let i = 0; i < mailbox.length; i++) this.handler(mailbox[i], this);
    mailbox.length = 0;
    this.scheduled = false;
  }
}
