import type { CaseResult } from './case-result.js';
import { quantile } from './quantile.js';
import { benchName } from './result-row.js';
import type { Verdict } from './targets.js';

export interface TableEntry {
  result: CaseResult;
  baseline: number;
  verdicts: Verdict[];
}

function formatValue(x: number, unit: string): string {
  return x.toLocaleString('en-US', { maximumFractionDigits: unit === 'B/actor' ? 1 : 0 });
}

function formatRatio(x: number): string {
  return x >= 0.1 ? x.toFixed(2) : x.toPrecision(2);
}

// Half the interquartile range as a share of the median: robust to the odd sample that a GC
// or a neighbouring process spoiled, unlike the min–max range.
function formatSpread(samples: readonly number[], value: number): string {
  const spread = (quantile(samples, 0.75) - quantile(samples, 0.25)) / 2 / value;
  return `±${(spread * 100).toFixed(1)}%`;
}

export function renderTable(entries: readonly TableEntry[]): string {
  const lines = [
    '| bench | value | unit | baseline | ratio | spread | n | target | pass |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | :---: |',
  ];
  for (const { result, baseline, verdicts } of entries) {
    const { unit } = result.scenario;
    const { value, samples, n } = result.measurement;
    const target = verdicts.map((v) => v.target).join('; ') || '—';
    const pass = verdicts.length === 0 ? '—' : verdicts.every((v) => v.pass) ? '✅' : '❌';
    lines.push(
      `| ${benchName(result)} | ${formatValue(value, unit)} | ${unit} | ${formatValue(baseline, unit)} | ` +
        `${formatRatio(value / baseline)} | ${formatSpread(samples, value)} | ${n.toLocaleString('en-US')} | ` +
        `${target} | ${pass} |`,
    );
  }
  return lines.join('\n');
}
