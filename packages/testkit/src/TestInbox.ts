import { type ActorRef, BaseRef, type SysMsg } from '@troupe/core';
import { ExpectationFailedError, type ReceivedMessage } from './TestKitError';
import { describeValue } from './internal/describeValue';
import { matcherFor } from './internal/matcherFor';

/**
 * The inert ref behind an inbox: `tell` records synchronously, nothing ever runs, and it never terminates, so a
 * watch on it is simply never answered. A `BaseRef`, so it travels anywhere a ref does (inside messages, to
 * real actors, through serializers that recognise refs).
 */
class InboxRef<M> extends BaseRef<M> {
  readonly name: string;
  constructor(
    readonly path: string,
    private readonly systemName: string,
    private readonly record: (message: M) => void,
  ) {
    super();
    this.name = path.slice(path.lastIndexOf('/') + 1);
  }
  tell(message: M): void {
    this.record(message);
  }
  sendSystem(_msg: SysMsg): void {
    // Never alive in a system, never dead either: watch and unwatch have nothing to act on.
  }
  override toString(): string {
    return `troupe://${this.systemName}${this.path}`;
  }
}

/** Where an inbox's ref lives and whose clock stamps its messages. */
export interface TestInboxOptions {
  /** Full path of the ref. Default `/temp/<name>`. */
  path?: string;
  /** Used in the ref's address. Default `testkit`. */
  systemName?: string;
  /** Stamps each message with `now()`. */
  clock?: { now(): number };
}

/**
 * A recorder ref for synchronous tests: whatever is told to `ref` is queued here at once, with no dispatcher.
 * `BehaviorTestKit` hands one out for `ctx.self` and one for every spawned child; create your own to pass as a
 * `replyTo`.
 *
 * @example
 * ```ts
 * const replies = createTestInbox<number>('replies');
 * kit.run({ type: 'get', replyTo: replies.ref });
 * replies.expectMessage(0);
 * ```
 */
export class TestInbox<M> {
  readonly ref: ActorRef<M>;
  private readonly queue: ReceivedMessage<M>[] = [];
  private readonly all: ReceivedMessage<M>[] = [];

  constructor(name: string, options: TestInboxOptions = {}) {
    const path = options.path ?? `/temp/${name}`;
    const clock = options.clock;
    this.ref = new InboxRef<M>(path, options.systemName ?? 'testkit', (message) => {
      const r: ReceivedMessage<M> = { message, at: clock?.now() };
      this.queue.push(r);
      this.all.push(r);
    });
  }

  get path(): string {
    return this.ref.path;
  }

  /** Messages not yet taken, oldest first. */
  get messages(): M[] {
    return this.queue.map((r) => r.message);
  }

  /** Every message ever told to the ref, taken or not, with times. */
  get received(): ReadonlyArray<ReceivedMessage<M>> {
    return this.all;
  }

  get hasMessages(): boolean {
    return this.queue.length > 0;
  }

  /** Takes the oldest message. Throws `ExpectationFailedError` when there is none. */
  receiveMessage(): M {
    const r = this.queue.shift();
    if (!r) throw this.failure('a message', 'the inbox is empty', []);
    return r.message;
  }

  /**
   * Takes the oldest message and checks it: deep equality for a value, truth for a predicate. Throws
   * `ExpectationFailedError` when there is none or it does not match (it is taken either way).
   */
  expectMessage<S extends M>(predicate: (message: M) => message is S): S;
  expectMessage(expected: M | ((message: M) => boolean)): M;
  expectMessage(expected: M | ((message: M) => boolean)): M {
    const matcher = matcherFor(expected);
    const pending = [...this.queue];
    const r = this.queue.shift();
    if (!r) throw this.failure(matcher.description, 'the inbox is empty', []);
    const result = matcher.test(r.message);
    if (!result.ok) {
      const why = result.error === undefined ? '' : ` (the predicate threw: ${describeValue(result.error)})`;
      throw this.failure(
        matcher.description,
        `the next message was ${describeValue(r.message)}${why}`,
        pending,
        result.error,
      );
    }
    return r.message;
  }

  /** Throws `ExpectationFailedError` if a message is waiting. */
  expectNoMessage(): void {
    if (this.queue.length > 0) {
      throw this.failure('no message', `${this.queue.length} arrived`, [...this.queue]);
    }
  }

  /** Takes every waiting message. */
  receiveAll(): M[] {
    return this.queue.splice(0).map((r) => r.message);
  }

  private failure(
    expected: string,
    outcome: string,
    received: ReceivedMessage<M>[],
    cause?: unknown,
  ): ExpectationFailedError {
    return new ExpectationFailedError(
      `inbox ${this.path}`,
      expected,
      outcome,
      received,
      undefined,
      cause === undefined ? undefined : { cause },
    );
  }
}

/**
 * A standalone {@link TestInbox}, for a `replyTo` in synchronous tests.
 *
 * @example
 * ```ts
 * const replies = createTestInbox<string>('replies');
 * replies.ref.tell('hi');
 * replies.expectMessage('hi');
 * ```
 */
export function createTestInbox<M>(name = 'inbox', options?: TestInboxOptions): TestInbox<M> {
  return new TestInbox<M>(name, options);
}
