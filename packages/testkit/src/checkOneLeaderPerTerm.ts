import { InvalidArgumentError } from '@troupe/core';
import { describeValue } from './internal/describeValue';

/** A node seen in a role in a term (Raft and its kin), at a virtual time. */
export interface RoleObservation {
  readonly node: string;
  readonly term: number;
  readonly role: 'leader' | 'follower' | 'candidate' | (string & {});
  readonly at: number;
}

export type LeaderCheckResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly term: number;
      /** The two leaders: the first seen in the term, then the other. */
      readonly nodes: readonly [string, string];
      readonly observations: readonly [RoleObservation, RoleObservation];
    };

/**
 * Election safety: at most one node is leader in any term. Fails on the earliest observation (by `at`) of a
 * second node leading a term that already had a leader, naming the term and both nodes. One node seen as
 * leader of a term many times is fine.
 *
 * @example
 * ```ts
 * checkOneLeaderPerTerm([
 *   { node: 'a', term: 3, role: 'leader', at: 100 },
 *   { node: 'b', term: 3, role: 'leader', at: 150 },
 * ]); // { ok: false, term: 3, nodes: ['a', 'b'], … }
 * ```
 */
export function checkOneLeaderPerTerm(observations: ReadonlyArray<RoleObservation>): LeaderCheckResult {
  for (const o of observations) {
    if (o === null || typeof o !== 'object' || typeof o.role !== 'string' || !Number.isFinite(o.term)) {
      throw new InvalidArgumentError(`not a role observation: ${describeValue(o)}`);
    }
  }
  // Stable: observations with the same time keep their given order.
  const inTime = observations
    .map((o, i) => ({ o, i }))
    .sort((a, b) => a.o.at - b.o.at || a.i - b.i)
    .map(({ o }) => o);
  const leaderOf = new Map<number, RoleObservation>();
  for (const o of inTime) {
    if (o.role !== 'leader') continue;
    const first = leaderOf.get(o.term);
    if (!first) {
      leaderOf.set(o.term, o);
      continue;
    }
    if (first.node === o.node) continue;
    return {
      ok: false,
      term: o.term,
      nodes: [first.node, o.node],
      observations: [first, o],
      reason:
        `two leaders in term ${o.term}: ${describeValue(first.node)} (seen at t=${first.at}) and ` +
        `${describeValue(o.node)} (seen at t=${o.at})`,
    };
  }
  return { ok: true };
}
