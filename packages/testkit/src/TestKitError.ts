import { ActorError } from '@troupe/core';
import { describeValue } from './internal/describeValue';

/** A message as a probe or inbox saw it: the value, and the virtual time it arrived (when known). */
export interface ReceivedMessage<M = unknown> {
  readonly message: M;
  /** The kit's clock when the message was handled; undefined for an inbox without a clock. */
  readonly at: number | undefined;
}

/**
 * A probe or inbox expectation that did not hold. `received` lists the messages the expectation looked at,
 * so that a failure says what arrived instead, not only what did not.
 *
 * @example
 * ```ts
 * await expect(probe.expectMessage('pong', 100)).rejects.toMatchObject({ code: 'TESTKIT_ERR_EXPECTATION' });
 * ```
 */
export class ExpectationFailedError extends ActorError {
  constructor(
    /** Path of the probe or inbox. */
    readonly subject: string,
    /** What was expected, in words. */
    readonly expected: string,
    /** What happened instead, in words. */
    readonly outcome: string,
    readonly received: ReadonlyArray<ReceivedMessage>,
    /** The virtual window waited, if any: `[from, to]` on the kit's clock. */
    readonly window?: readonly [number, number],
    options?: { cause?: unknown },
  ) {
    super(
      'TESTKIT_ERR_EXPECTATION',
      formatExpectation(subject, expected, outcome, received, window),
      options,
    );
  }
}

/**
 * `runUntilIdle` (or `advance`, or an expectation) ran more dispatcher turns or messages than its budget
 * without the system going idle: some actor keeps itself (or others) busy forever, such as one that tells
 * itself a message for every message it handles.
 *
 * @example
 * ```ts
 * await expect(kit.runUntilIdle()).rejects.toBeInstanceOf(NotIdleError);
 * ```
 */
export class NotIdleError extends ActorError {
  constructor(
    readonly turns: number,
    readonly messages: number,
  ) {
    super(
      'TESTKIT_ERR_NOT_IDLE',
      `the actor system never went idle: ${turns} dispatcher turns and ${messages} messages without running ` +
        `out of work (an actor that keeps sending to itself or to another in a loop?)`,
    );
  }
}

/**
 * The test kit was used in a way it cannot honour: a synchronous `run` of a behaviour that returned a promise,
 * a behaviour driven after it stopped, `useTestKit` outside Jest, a kit used after `shutdown`. The message
 * says what to do instead.
 *
 * @example
 * ```ts
 * expect(() => testBehavior(asyncBehavior).run(msg)).toThrow(TestKitUsageError);
 * ```
 */
export class TestKitUsageError extends ActorError {
  constructor(message: string) {
    super('TESTKIT_ERR_USAGE', message);
  }
}

const MAX_LISTED = 20;

function formatExpectation(
  subject: string,
  expected: string,
  outcome: string,
  received: ReadonlyArray<ReceivedMessage>,
  window: readonly [number, number] | undefined,
): string {
  const within = window
    ? ` within ${window[1] - window[0]} ms (virtual time ${window[0]} → ${window[1]})`
    : '';
  const lines = [`${subject}: expected ${expected}${within}, but ${outcome}.`];
  if (received.length === 0) lines.push('Messages received: none.');
  else {
    lines.push(`Messages received (${received.length}):`);
    for (const r of received.slice(0, MAX_LISTED)) {
      lines.push(`  ${r.at === undefined ? '' : `t=${r.at}  `}${describeValue(r.message)}`);
    }
    if (received.length > MAX_LISTED) lines.push(`  … and ${received.length - MAX_LISTED} more`);
  }
  return lines.join('\n');
}

/**
 * A {@link NodeProcess} did not print the line waited for: `code` is `TESTKIT_ERR_PROCESS_TIMEOUT` (not in time)
 * or `TESTKIT_ERR_PROCESS_EXITED` (the child exited first). `stderr` is the tail of what the child wrote there.
 *
 * @example
 * ```ts
 * await expect(node.waitForLine((l) => l.event === 'ready', 100)).rejects.toMatchObject({
 *   code: 'TESTKIT_ERR_PROCESS_TIMEOUT',
 * });
 * ```
 */
export class NodeProcessError extends ActorError {
  constructor(
    code: 'TESTKIT_ERR_PROCESS_TIMEOUT' | 'TESTKIT_ERR_PROCESS_EXITED',
    message: string,
    readonly stderr: string,
  ) {
    super(code, stderr ? `${message}; stderr: ${stderr}` : message);
  }
}
