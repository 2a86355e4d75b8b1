// `npm run bench`: every scenario × contender in its own process, one after another so cases
// never compete for the two cores, then results/core.jsonl and the README table are rewritten.
// Then the remote section (src/remote/): each case in a client and a server process talking over
// WebSocket, then results/remote.jsonl and its README table; then the simulation and cluster scripts.
// `--only core|remote|sim|cluster|cache|leader` runs one section.
import { spawnSync } from 'node:child_process';
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
import { pinMode } from './remote/pin-processes.js';
import { type RemoteSectionOptions, runRemoteSection } from './remote/section.js';
import { judge } from './targets.js';

const ROOT = join(__dirname, '..');
const RESULTS = join(ROOT, 'results', 'core.jsonl');
const REMOTE_RESULTS = join(ROOT, 'results', 'remote.jsonl');
const README = join(ROOT, 'README.md');
const START = '<!-- results:core:start -->';
const END = '<!-- results:core:end -->';
const REMOTE_START = '<!-- results:remote:start -->';
const REMOTE_END = '<!-- results:remote:end -->';

// Formatted as `prettier --check` expects, so a fresh run leaves the repo's formatting clean.
async function formatMarkdown(text: string, path: string): Promise<string> {
  const prettier = await import('prettier');
  const options = await prettier.resolveConfig(path);
  return prettier.format(text, { ...options, filepath: path });
}

const list = (value: string | undefined): string[] | undefined => value?.split(',').map((s) => s.trim());

async function writeSection(
  results: string,
  rows: readonly object[],
  start: string,
  end: string,
  body: string,
) {
  mkdirSync(join(ROOT, 'results'), { recursive: true });
  writeFileSync(results, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
  const readme = replaceBetweenMarkers(readFileSync(README, 'utf8'), start, end, body);
  writeFileSync(README, await formatMarkdown(readme, README));
  console.log(`wrote ${results} and ${README}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      contender: { type: 'string' },
      // A filtered run is for development: it writes nothing unless asked to.
      write: { type: 'boolean' },
      // One section only: 'core' or 'remote'. --scenario and --contender imply 'core'.
      only: { type: 'string' },
      // Profile both processes of every remote case into this directory; writes nothing unless --write.
      'cpu-prof': { type: 'string' },
      // Pin each remote case's client and server to one CPU ('same') or two ('apart'); writes nothing unless --write.
      pin: { type: 'string' },
      // Keep every CPU busy at nice 19 during the remote section (see keep-cpus-awake.ts); writes nothing unless --write.
      'keep-awake': { type: 'boolean' },
      // NAME=VALUE: also measure every Troupe remote case with this environment variable set, interleaved with
      // the others (an A/B in one run; see bench/README.md); writes nothing unless --write.
      variant: { type: 'string' },
    },
  });
  const onlyScenarios = list(values.scenario);
  const onlyContenders = list(values.contender);
  const filtered = onlyScenarios !== undefined || onlyContenders !== undefined;
  const only = values.only ?? (filtered ? 'core' : undefined);
  if (only !== undefined && !['core', 'remote', 'sim', 'cluster', 'cache', 'leader'].includes(only))
    throw new Error(`--only core|remote|sim|cluster|cache|leader, not ${only}`);
  if (only === undefined || only === 'core')
    await runCore(onlyScenarios, onlyContenders, values.write ?? !filtered);
  if (only === undefined || only === 'remote')
    await runRemote(
      {
        cpuProfDir: values['cpu-prof'],
        pin: pinMode(values.pin),
        keepAwake: values['keep-awake'],
        variant: variantOf(values.variant),
      },
      values.write ??
        (values['cpu-prof'] === undefined &&
          values.pin === undefined &&
          values['keep-awake'] === undefined &&
          values.variant === undefined),
    );
  // The simulation and cluster benches are scripts of their own; each writes its results file.
  if (only === undefined || only === 'sim') runScript('src/sim/simBench.ts');
  if (only === undefined || only === 'cluster') runScript('src/cluster/clusterBench.ts');
  if (only === undefined || only === 'cache') runScript('src/cache/cacheBench.ts');
  if (only === undefined || only === 'leader') runScript('src/leader/leaderBench.ts');
}

/** `--variant NAME=VALUE`. */
function variantOf(arg: string | undefined): RemoteSectionOptions['variant'] {
  if (arg === undefined) return undefined;
  const at = arg.indexOf('=');
  if (at <= 0) throw new Error(`--variant NAME=VALUE, not ${arg}`);
  return { name: arg.slice(0, at), value: arg.slice(at + 1) };
}

function runScript(file: string): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`${file} failed with exit code ${r.status}`);
    process.exitCode = 1;
  }
}

async function runRemote(options: RemoteSectionOptions, write: boolean): Promise<void> {
  const { cpuProfDir } = options;
  const { rows, table, machine, seconds, failures } = await runRemoteSection(options);
  console.log(`\n${table}\n\n${rows.length} remote rows in ${seconds} s`);
  if (cpuProfDir) console.log(`profiles in ${cpuProfDir}; summarise with src/remote/summarize-profile.ts`);
  if (failures.length > 0) {
    console.error(`failed remote cases: ${failures.join(', ')}; remote results not written`);
    process.exitCode = 1;
  } else if (write) {
    const stamp = new Date().toISOString().slice(0, 10);
    // A diagnostic run that is recorded says so: its figures are not those of a plain run.
    const how = [
      options.keepAwake ? 'every CPU kept awake (`--keep-awake`)' : '',
      options.pin ? `client and server pinned (\`--pin ${options.pin}\`)` : '',
      cpuProfDir ? 'both processes profiled (`--cpu-prof`)' : '',
      options.variant ? `a variant measured alongside (\`--variant ${options.variant.name}\`)` : '',
    ].filter((s) => s !== '');
    const under = how.length > 0 ? `, with ${how.join(' and ')}` : '';
    const body = `Measured ${stamp} on ${machine}${under}; the section took ${seconds} s.\n\n${table}`;
    await writeSection(REMOTE_RESULTS, rows, REMOTE_START, REMOTE_END, body);
  }
}

async function runCore(
  onlyScenarios: string[] | undefined,
  onlyContenders: string[] | undefined,
  write: boolean,
): Promise<void> {
  // The baseline is always measured: every ratio is relative to it.
  const contenders = contenderNames.filter(
    (c) => !onlyContenders || c === 'baseline' || onlyContenders.includes(c),
  );

  const began = Date.now();
  const machine = describeMachine(['xstate', 'nact']);
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
    const stamp = new Date().toISOString().slice(0, 10);
    const body = `Measured ${stamp} on ${machine}; the run took ${seconds} s.\n\n${table}`;
    const rows = entries.map((e) => toRow(e.result, e.baseline));
    await writeSection(RESULTS, rows, START, END, body);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
