import { deepEqual } from './deepEqual';
import { describeValue } from './describeValue';

/** An expected message, as a value (compared deeply) or a predicate, with words for failure reports. */
export interface MessageMatcher<M> {
  readonly description: string;
  /** True on a match; a predicate that throws (say, a Jest `expect` inside it) is a mismatch, with its error. */
  test(message: M): { ok: true } | { ok: false; error?: unknown };
}

/**
 * Functions are predicates. A message type that is itself a function cannot be matched by value; match it
 * with a predicate instead.
 */
export function matcherFor<M>(expected: M | ((message: M) => boolean)): MessageMatcher<M> {
  if (typeof expected === 'function') {
    const predicate = expected as (message: M) => boolean;
    return {
      description: `a message matching ${predicate.name ? `predicate ${predicate.name}` : 'the predicate'}`,
      test(message) {
        try {
          return predicate(message) ? { ok: true } : { ok: false };
        } catch (error) {
          return { ok: false, error };
        }
      },
    };
  }
  return {
    description: `a message equal to ${describeValue(expected)}`,
    test: (message) => (deepEqual(expected, message) ? { ok: true } : { ok: false }),
  };
}
