import { type LinearizabilityOptions, checkLinearizable, type RegisterOperation } from './checkLinearizable';
import { checkConverged } from './checkConverged';
import { checkOneLeaderPerTerm, type RoleObservation } from './checkOneLeaderPerTerm';
import { TestInbox } from './TestInbox';
import type { ReceivedMessage } from './TestKitError';
import { TestProbe } from './TestProbe';
import { describeValue } from './internal/describeValue';
import { matcherFor } from './internal/matcherFor';

declare global {
  // Jest's own matcher typings live in this global namespace (`@types/jest`); this adds ours to them.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // The type parameters must be exactly `@types/jest`'s for the declarations to merge.
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
    interface Matchers<R, T = {}> {
      /** On a `TestProbe` or `TestInbox`: some message received so far equals `expected` (or satisfies it, for a predicate). */
      toHaveReceived(expected: unknown): R;
      /** On a `RegisterOperation[]`: see `checkLinearizable`. */
      toBeLinearizable(options?: LinearizabilityOptions): R;
      /** On a `RoleObservation[]`: see `checkOneLeaderPerTerm`. */
      toHaveAtMostOneLeaderPerTerm(): R;
      /** On a `Map` or record of node to state: see `checkConverged`. */
      toHaveConverged(): R;
    }
  }
}

/** What a matcher gets as `this` from Jest; only `isNot` is used. */
interface MatcherThis {
  readonly isNot?: boolean;
}
interface MatcherResult {
  pass: boolean;
  message(): string;
}
type MatcherFn = (this: MatcherThis, received: any, ...args: any[]) => MatcherResult;

/** The part of Jest's `expect` that `installMatchers` needs, so that the kit does not depend on Jest's types. */
export interface ExpectWithExtend {
  extend(matchers: Record<string, MatcherFn>): void;
}

const matchers: Record<string, MatcherFn> = {
  toHaveReceived(received: unknown, expected: unknown): MatcherResult {
    let history: ReadonlyArray<ReceivedMessage>;
    let subject: string;
    if (received instanceof TestProbe) {
      history = received.received;
      subject = `probe ${received.ref.path}`;
    } else if (received instanceof TestInbox) {
      history = received.received;
      subject = `inbox ${received.path}`;
    } else {
      return {
        pass: false,
        message: () => `toHaveReceived expects a TestProbe or a TestInbox, got ${describeValue(received)}`,
      };
    }
    const matcher = matcherFor(expected);
    const hit = history.find((r) => matcher.test(r.message).ok);
    return {
      pass: hit !== undefined,
      message: () =>
        hit
          ? `expected ${subject} not to have received ${matcher.description}, but it did` +
            (hit.at === undefined ? '' : ` at t=${hit.at}`) +
            `: ${describeValue(hit.message)}`
          : `expected ${subject} to have received ${matcher.description}, but it did not. ${listing(history)}`,
    };
  },

  toBeLinearizable(
    received: ReadonlyArray<RegisterOperation>,
    options?: LinearizabilityOptions,
  ): MatcherResult {
    const result = checkLinearizable(received, options);
    return {
      pass: result.ok,
      message: () =>
        result.ok
          ? `expected the history of ${received.length} operations not to be linearizable, but it is`
          : result.verdict === 'unknown'
            ? `could not decide whether the history is linearizable: ${result.reason}`
            : `expected the history to be linearizable, but ${result.reason}`,
    };
  },

  toHaveAtMostOneLeaderPerTerm(received: ReadonlyArray<RoleObservation>): MatcherResult {
    const result = checkOneLeaderPerTerm(received);
    return {
      pass: result.ok,
      message: () =>
        result.ok
          ? `expected two leaders in some term among ${received.length} observations, but every term had at most one`
          : `expected at most one leader per term, but there were ${result.reason}`,
    };
  },

  toHaveConverged(received: ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>): MatcherResult {
    const result = checkConverged(received);
    return {
      pass: result.ok,
      message: () =>
        result.ok
          ? `expected the nodes not to have converged, but they all hold the same state`
          : `expected every node to hold the same state, but ${result.reason}`,
    };
  },
};

function listing(history: ReadonlyArray<ReceivedMessage>): string {
  if (history.length === 0) return 'It received nothing.';
  const shown = history
    .slice(0, 20)
    .map((r) => `  ${r.at === undefined ? '' : `t=${r.at}  `}${describeValue(r.message)}`);
  if (history.length > 20) shown.push(`  … and ${history.length - 20} more`);
  return `It received (${history.length}):\n${shown.join('\n')}`;
}

/**
 * Adds the kit's matchers to Jest's `expect`: `toHaveReceived` (probes and inboxes), `toBeLinearizable`,
 * `toHaveAtMostOneLeaderPerTerm` and `toHaveConverged`. Call it once per test file, or from a
 * `setupFilesAfterEach` module.
 *
 * @example
 * ```ts
 * import { installMatchers } from '@troupe/testkit';
 * installMatchers(expect);
 *
 * await kit.runUntilIdle();
 * expect(probe).toHaveReceived({ type: 'pong' });
 * expect(history).toBeLinearizable();
 * ```
 */
export function installMatchers(expect: ExpectWithExtend): void {
  expect.extend(matchers);
}
