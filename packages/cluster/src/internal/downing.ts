import type { DowningStrategy } from '../ClusterSettings';
import { compareMembers, keyOf, type Member } from '../Member';

export type DowningDecision = 'down-unreachable' | 'down-self' | 'none';

/**
 * The split-brain decision, taken by every node from its own view once that view has been stable. Only up and
 * leaving members are counted; this node's side is every counted member it does not find unreachable (itself
 * included), the other side every counted member it does.
 *
 * - keep-majority: more than half on our side → down the unreachable; fewer → down ourselves; exactly half → the
 *   side with the lowest address among all counted members survives, so that exactly one half does.
 * - static-quorum: at least `quorumSize` on our side → down the unreachable; else down ourselves.
 *
 * With nobody unreachable (or nothing counted) there is nothing to decide.
 *
 * @example
 * ```ts
 * decideDowning({ strategy: 'keep-majority' }, members, new Set([keyOf(d), keyOf(e)])); // 'down-unreachable' on a side of 3 of 5
 * ```
 */
export function decideDowning(
  strategy: DowningStrategy,
  members: readonly Member[],
  unreachable: ReadonlySet<string>,
): DowningDecision {
  if (strategy.strategy === 'none') return 'none';
  if (![...unreachable].some((k) => members.some((m) => keyOf(m) === k && m.status !== 'down')))
    return 'none';
  const counted = members.filter((m) => m.status === 'up' || m.status === 'leaving').sort(compareMembers);
  if (counted.length === 0) return 'none';
  const ours = counted.filter((m) => !unreachable.has(keyOf(m)));
  if (strategy.strategy === 'static-quorum')
    return ours.length >= strategy.quorumSize ? 'down-unreachable' : 'down-self';
  if (ours.length * 2 > counted.length) return 'down-unreachable';
  if (ours.length * 2 < counted.length) return 'down-self';
  return unreachable.has(keyOf(counted[0])) ? 'down-self' : 'down-unreachable';
}
