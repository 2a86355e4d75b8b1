// `npm run bench`: every scenario × contender in its own process, one after another so cases
// never compete for the two cores, then results/core.jsonl and the README table are rewritten.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CaseResult } from './case-result.js';
import { contenderNames } from './load-contender.js';
import { describeMachine } from './machine.js';
import { renderTable, type TableEntry } from './render-table.js';
import { replaceBetweenMarkers } from './replace-between-markers.js';
import { toRow } from './result-row.js';
import { runInChild } from './run-in-child.js';
import { scenarios } from './scenarios.js';
import { judge } from './targets.js';

const ROOT = join(__dirname, '..');
const RESULTS = join(ROOT, 'results', 'core.jsonl');
const README = join(ROOT, 'README.md');
const START = '<!-- results:core:start -->';
const END = '<!-- results:core:end -->';

// Formatted as `prettier --check` expects, so a fresh run leaves the repo's formatting clean.
async function formatMarkdown(text: string, path: string): Promise<string> {
  const prettier = await import('prettier');
  const options = await prettier.resolveConfig(path);
  return prettier.format(text, { ...options, filepath: path });
}

const list = (value: string | undefined): string[] | undefined => value?.split(',').map((s) => s.trim());

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      contender: { type: 'string' },
      // A filtered run is for development: it writes nothing unless asked to.
      write: { type: 'boolean' },
    },
  });
  const onlyScenarios = list(values.scenario);
  const onlyContenders = list(values.contender);
  const write = values.write ?? (onlyScenarios === undefined && onlyContenders === undefined);
  // The baseline is always measured: every ratio is relative to it.
  const contenders = contenderNames.filter(
    (c) => !onlyContenders || c === 'baseline' || onlyContenders.includes(c),
  );

  const began = Date.now();
  const machine = describeMachine();
  const results: CaseResult[] = [];
  const failures: string[] = [];
  for (const scenario of scenarios) {
    if (onlyScenarios && !onlyScenarios.includes(scenario.name)) continue;
    for (const contender of contenders) {
      const label = `${scenario.name}/${contender}`;
      try {
        const measurement = await runInChild(scenario.name, contender);
        results.push({ scenario, contender, measurement });
        console.log(`${label.padEnd(28)} ${measurement.value.toFixed(1).padStart(14)} ${scenario.unit}`);
      } catch (err) {
        failures.push(label);
        console.error(`${label} failed: ${(err as Error).message}`);
      }
    }
  }

  const entries: TableEntry[] = [];
  for (const result of results) {
    const base = results.find((r) => r.scenario === result.scenario && r.contender === 'baseline');
    if (!base) continue;
    const baseline = base.measurement.value;
    entries.push({ result, baseline, verdicts: judge(result, baseline, results) });
  }
  const table = renderTable(entries);
  const seconds = Math.round((Date.now() - began) / 1000);
  console.log(`\n${table}\n\n${entries.length} rows in ${seconds} s`);

  if (failures.length > 0) {
    // A partial run would replace good figures with a table missing rows: keep the last full one.
    console.error(`failed cases: ${failures.join(', ')}; results not written`);
    process.exitCode = 1;
  } else if (write) {
    mkdirSync(join(ROOT, 'results'), { recursive: true });
    writeFileSync(RESULTS, entries.map((e) => JSON.stringify(toRow(e.result, e.baseline))).join('\n') + '\n');
    const stamp = new Date().toISOString().slice(0, 10);
    const body = `Measured ${stamp} on ${machine}; the run took ${seconds} s.\n\n${table}`;
    const readme = replaceBetweenMarkers(readFileSync(README, 'utf8'), START, END, body);
    writeFileSync(README, await formatMarkdown(readme, README));
    console.log(`wrote ${RESULTS} and ${README}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
