import { deepEqual } from './internal/deepEqual';
import { describeValue } from './internal/describeValue';

/** Nodes that agree, and on what. */
export interface StateGroup {
  readonly nodes: ReadonlyArray<string>;
  readonly value: unknown;
}

export type ConvergenceResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: string;
      /** Nodes outside the largest group of agreeing nodes (the first such group, if tied). */
      readonly differing: ReadonlyArray<string>;
      /** Every group of agreeing nodes, largest first. */
      readonly groups: ReadonlyArray<StateGroup>;
    };

/**
 * Whether every node holds the same state (compared structurally). Fails listing the nodes that differ from
 * the largest group, and what each group holds. No nodes, or one, have converged.
 *
 * @example
 * ```ts
 * checkConverged(new Map([['a', { x: 1 }], ['b', { x: 1 }], ['c', { x: 2 }]]));
 * // { ok: false, differing: ['c'], reason: '1 of 3 nodes differ: …', … }
 * ```
 */
export function checkConverged(
  states: ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>,
): ConvergenceResult {
  const entries: [string, unknown][] =
    states instanceof Map ? [...(states as ReadonlyMap<string, unknown>)] : Object.entries(states);
  const groups: { nodes: string[]; value: unknown }[] = [];
  for (const [node, value] of entries) {
    const group = groups.find((g) => deepEqual(g.value, value));
    if (group) group.nodes.push(node);
    else groups.push({ nodes: [node], value });
  }
  if (groups.length <= 1) return { ok: true };
  // Stable sort: among groups of one size, the first seen stays first.
  groups.sort((a, b) => b.nodes.length - a.nodes.length);
  const differing = groups.slice(1).flatMap((g) => g.nodes);
  const lines = groups.map(
    (g) =>
      `${g.nodes.map((n) => describeValue(n)).join(', ')} ${g.nodes.length === 1 ? 'has' : 'have'} ${describeValue(g.value)}`,
  );
  return {
    ok: false,
    differing,
    groups,
    reason: `${differing.length} of ${entries.length} nodes differ (${differing.join(', ')}): ${lines.join('; ')}`,
  };
}
