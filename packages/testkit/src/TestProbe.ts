import {
  type ActorContext,
  type ActorRef,
  type ActorSystem,
  InvalidArgumentError,
  receive,
} from '@troupe/core';
import { ExpectationFailedError, type ReceivedMessage } from './TestKitError';
import { describeValue } from './internal/describeValue';
import { matcherFor } from './internal/matcherFor';
import { checkDuration, type VirtualTimeDriver } from './internal/VirtualTimeDriver';

/**
 * Work for the probe's actor to do in its own context (watch, unwatch). A private class, so no user message
 * can be mistaken for one.
 */
class ProbeCommand {
  constructor(readonly run: (ctx: ActorContext<unknown>) => void) {}
}

/** One step of waiting (in the given virtual window): a result, or undefined to keep waiting. It may throw to fail at once. */
type Attempt<T> = (window: readonly [number, number]) => { value: T } | undefined;

/**
 * A real actor to send to, and expectations about what it receives, all on the kit's virtual time. An
 * expectation with `withinMs` moves the kit's clock forward timer by timer, settling the system after each,
 * until it holds or the deadline passes; it never sleeps. Expectations of one kit run one after the other.
 *
 * Create probes with `kit.createProbe<M>(name?)`.
 *
 * @example
 * ```ts
 * const probe = kit.createProbe<Pong>();
 * pinger.tell({ type: 'ping', replyTo: probe.ref });
 * await probe.expectMessage({ type: 'pong' });
 * await probe.expectNoMessage(500);
 * ```
 */
export class TestProbe<M> {
  /** Where to send messages: a real actor of the kit's system, under `/user`. */
  readonly ref: ActorRef<M>;
  private readonly queue: ReceivedMessage<M>[] = [];
  private readonly history: ReceivedMessage<M>[] = [];
  /** Terminated notices not yet taken by `expectTerminated`. */
  private readonly terminated: ActorRef<never>[] = [];
  private readonly watching = new Set<ActorRef<never>>();

  /** @internal Use `kit.createProbe`. */
  constructor(
    private readonly system: ActorSystem,
    private readonly driver: VirtualTimeDriver,
    name: string,
    private readonly defaultTimeoutMs: number,
  ) {
    const clock = system.clock;
    const behavior = receive<unknown>(
      (ctx, m) => {
        if (m instanceof ProbeCommand) return m.run(ctx);
        const r: ReceivedMessage<M> = { message: m as M, at: clock.now() };
        this.queue.push(r);
        this.history.push(r);
      },
      (_ctx, signal) => {
        if (signal.type === 'Terminated') this.terminated.push(signal.ref);
      },
    );
    // The actor accepts anything; the probe's user promises M, and refs are contravariant.
    this.ref = system.spawn(behavior, name) as ActorRef<M>;
  }

  get name(): string {
    return this.ref.name;
  }

  /** Every message received so far, taken or not, with the virtual time it arrived. */
  get received(): ReadonlyArray<ReceivedMessage<M>> {
    return this.history;
  }

  /** Messages received and not yet taken by an expectation, oldest first. */
  get pending(): M[] {
    return this.queue.map((r) => r.message);
  }

  /**
   * Waits for the next message and checks it: deep equality for a value (Jest asymmetric matchers allowed),
   * truth for a predicate. Takes it either way. Throws `ExpectationFailedError` if none arrives in time or the
   * next one does not match.
   */
  expectMessage<S extends M>(predicate: (message: M) => message is S, withinMs?: number): Promise<S>;
  expectMessage(expected: M | ((message: M) => boolean), withinMs?: number): Promise<M>;
  expectMessage(expected: M | ((message: M) => boolean), withinMs?: number): Promise<M> {
    const matcher = matcherFor(expected);
    return this.waitFor(
      withinMs,
      matcher.description,
      (window) => {
        const next = this.queue[0];
        if (!next) return undefined;
        const result = matcher.test(next.message);
        if (!result.ok) {
          const looked = [...this.queue];
          this.queue.shift();
          const why =
            result.error === undefined ? '' : ` (the predicate threw: ${describeValue(result.error)})`;
          throw this.failure(
            matcher.description,
            `the next message was ${describeValue(next.message)}${why}`,
            looked,
            window,
            result.error,
          );
        }
        this.queue.shift();
        return { value: next.message };
      },
      () => this.nothingArrived(),
    );
  }

  /** Waits for the next message, whatever it is, and takes it. */
  receiveMessage(withinMs?: number): Promise<M> {
    return this.waitFor(
      withinMs,
      'a message',
      () => {
        const next = this.queue.shift();
        return next && { value: next.message };
      },
      () => this.nothingArrived(),
    );
  }

  /** Waits until `n` messages have arrived and takes them. Fails listing those that did, if fewer. */
  receiveMessages(n: number, withinMs?: number): Promise<M[]> {
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`receiveMessages needs n >= 0, got ${n}`);
    return this.waitFor(
      withinMs,
      `${n} message${n === 1 ? '' : 's'}`,
      () => (this.queue.length >= n ? { value: this.queue.splice(0, n).map((r) => r.message) } : undefined),
      () => ({ outcome: `only ${this.queue.length} arrived`, looked: [...this.queue] }),
    );
  }

  /**
   * Takes messages until one matches `predicate`, and returns it; the others are dropped. Fails, listing the
   * ones it dropped, if none matches in time.
   */
  fishForMessage<S extends M>(predicate: (message: M) => message is S, withinMs?: number): Promise<S>;
  fishForMessage(predicate: (message: M) => boolean, withinMs?: number): Promise<M>;
  fishForMessage(predicate: (message: M) => boolean, withinMs?: number): Promise<M> {
    const matcher = matcherFor<M>(predicate);
    const skipped: ReceivedMessage<M>[] = [];
    return this.waitFor(
      withinMs,
      matcher.description,
      () => {
        for (let r = this.queue.shift(); r; r = this.queue.shift()) {
          if (matcher.test(r.message).ok) return { value: r.message };
          skipped.push(r);
        }
        return undefined;
      },
      () => ({
        outcome:
          skipped.length === 0 ? 'no message arrived' : `none of the ${skipped.length} that arrived matched`,
        looked: skipped,
      }),
    );
  }

  /** Waits `withinMs` of virtual time (all of it, when nothing comes) and fails if any message arrives. */
  async expectNoMessage(withinMs: number): Promise<void> {
    checkDuration(withinMs);
    await this.driver.exclusive(async () => {
      const from = this.driver.clock.now();
      const arrived = await this.driver.waitFor(() => this.queue.length > 0, withinMs);
      if (arrived) {
        const first = this.queue[0];
        throw this.failure(
          'no message',
          `${describeValue(first.message)} arrived at t=${first.at}`,
          [...this.queue],
          [from, from + withinMs],
        );
      }
    });
  }

  /** Watches `target`: its termination is recorded for `expectTerminated`. Takes effect at the next settle. */
  watch(target: ActorRef<never>): void {
    if (typeof (target as { sendSystem?: unknown })?.sendSystem !== 'function') {
      throw new InvalidArgumentError(`a probe cannot watch ${String(target)}: not a ref it can watch`);
    }
    if (this.watching.has(target)) return;
    this.watching.add(target);
    this.command((ctx) => ctx.watch(target));
  }

  /** Stops watching `target`; a notice not yet taken stays. */
  unwatch(target: ActorRef<never>): void {
    if (!this.watching.delete(target)) return;
    this.command((ctx) => ctx.unwatch(target));
  }

  private command(run: (ctx: ActorContext<unknown>) => void): void {
    (this.ref as ActorRef<unknown>).tell(new ProbeCommand(run));
  }

  /** Watches `target` (if not yet) and waits until it has terminated. */
  expectTerminated(target: ActorRef<never>, withinMs?: number): Promise<void> {
    this.watch(target);
    const address = String(target);
    return this.waitFor(
      withinMs,
      `${address} to terminate`,
      () => {
        const i = this.terminated.findIndex((t) => t === target || String(t) === address);
        if (i < 0) return undefined;
        this.terminated.splice(i, 1);
        this.watching.delete(target);
        return { value: undefined };
      },
      () => ({ outcome: 'it did not', looked: [...this.queue] }),
    );
  }

  /** Stops the probe's actor. Messages sent to it afterwards are dead letters. */
  stop(): void {
    this.system.stop(this.ref as ActorRef<never>);
  }

  private waitFor<T>(
    withinMs: number | undefined,
    expected: string,
    attempt: Attempt<T>,
    timedOut: () => { outcome: string; looked: ReceivedMessage<M>[] },
  ): Promise<T> {
    const within = withinMs ?? this.defaultTimeoutMs;
    checkDuration(within);
    return this.driver.exclusive(async () => {
      const from = this.driver.clock.now();
      const window = [from, from + within] as const;
      let result: { value: T } | undefined;
      const done = await this.driver.waitFor(() => (result = attempt(window)) !== undefined, within);
      if (!done || !result) {
        const { outcome, looked } = timedOut();
        throw this.failure(expected, outcome, looked, window);
      }
      return result.value;
    });
  }

  private nothingArrived(): { outcome: string; looked: ReceivedMessage<M>[] } {
    const taken = this.history.length - this.queue.length;
    const last = this.history[this.history.length - 1];
    const earlier =
      taken === 0 || !last
        ? ''
        : ` (earlier expectations took ${taken}; the last was ${describeValue(last.message)} at t=${last.at})`;
    return { outcome: `no message arrived${earlier}`, looked: [...this.queue] };
  }

  private failure(
    expected: string,
    outcome: string,
    looked: ReceivedMessage<M>[],
    window?: readonly [number, number],
    cause?: unknown,
  ): ExpectationFailedError {
    return new ExpectationFailedError(
      `probe ${this.ref.path}`,
      expected,
      outcome,
      looked,
      window,
      cause === undefined ? undefined : { cause },
    );
  }
}
