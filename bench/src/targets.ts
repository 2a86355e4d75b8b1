import type { CaseResult } from './case-result.js';

export interface Verdict {
  target: string;
  pass: boolean;
}

const better = (a: CaseResult, b: CaseResult): boolean =>
  a.scenario.higherIsBetter
    ? a.measurement.value > b.measurement.value
    : a.measurement.value < b.measurement.value;

/**
 * The goals @troupe/core is held to. Absolute targets sit on troupe's own rows; "troupe ahead"
 * sits on each peer's row so every comparison is visible where the peer's figure is.
 */
export function judge(result: CaseResult, baseline: number, all: readonly CaseResult[]): Verdict[] {
  const { scenario, contender, measurement } = result;
  if (contender === 'troupe') {
    switch (scenario.name) {
      case 'ping-pong-1000':
        return [{ target: '≥ 0.5 × baseline', pass: measurement.value >= 0.5 * baseline }];
      case 'idle-actor-bytes':
        return [{ target: '≤ 250 B/actor', pass: measurement.value <= 250 }];
      case 'spawn-rate':
        return [{ target: '≥ 2,000,000 spawn/s', pass: measurement.value >= 2_000_000 }];
      default:
        return [];
    }
  }
  if (contender === 'xstate' || contender === 'nact') {
    const troupe = all.find((r) => r.scenario === scenario && r.contender === 'troupe');
    return [{ target: 'troupe ahead', pass: troupe !== undefined && better(troupe, result) }];
  }
  return [];
}
