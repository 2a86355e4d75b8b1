import type { CaseResult } from './case-result.js';

/** One line of results/core.jsonl. */
export interface ResultRow {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  baseline: number;
  ratio: number;
}

/** troupe's rows carry the bare scenario name; every other contender is suffixed with its own. */
export function benchName(result: CaseResult): string {
  return result.contender === 'troupe' ? result.scenario.name : `${result.scenario.name}/${result.contender}`;
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

export function toRow(result: CaseResult, baseline: number): ResultRow {
  const { scenario, measurement } = result;
  // Rates are large, so whole units suffice; bytes per actor keep a decimal.
  const digits = scenario.unit === 'B/actor' ? 1 : 0;
  return {
    bench: benchName(result),
    metric: scenario.metric,
    value: round(measurement.value, digits),
    unit: scenario.unit,
    baseline: round(baseline, digits),
    ratio: Number((measurement.value / baseline).toPrecision(4)),
  };
}
