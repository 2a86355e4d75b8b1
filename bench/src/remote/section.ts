// The remote section of `npm run bench`: every remote case in its own pair of processes (a client, which
// forks its server), the cases compared with one another measured together with their samples interleaved,
// then the rows of results/remote.jsonl and the README table. main.ts writes them.
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { describeMachine } from '../machine.js';
import type { Measurement } from '../measurement.js';
import { quantile } from '../quantile.js';
import type { ResultRow } from '../result-row.js';
import { findRemoteCase, type RemoteCaseName, remoteGroups } from './cases.js';
import { type RemoteMeasurements, type SampleStats, summarize } from './measure-remote.js';
import type { CaseCommand, CaseReport } from './run-remote-case.js';
import { PIN_ENV, type PinMode } from './pin-processes.js';
import { CPU_PROF_ENV, cpuProfArgs } from './server-process.js';
import { keepCpusAwake } from './keep-cpus-awake.js';

/** Longest a case may take to warm up or to take one sample. */
const CASE_STEP_TIMEOUT_MS = 60_000;

type Metric = 'throughput' | 'rtt-p50' | 'rtt-p99';

/** One row of the results: a metric of a case, against a metric of the baseline case it is compared with. */
interface RowSpec {
  bench: string;
  case: RemoteCaseName;
  metric: Metric;
  unit: 'msg/s' | 'req/s' | 'µs';
  baseline: RemoteCaseName;
  /** The target, on Troupe's rows: its text, and whether a ratio (value / baseline) meets it. */
  target?: { text: string; pass(ratio: number): boolean };
}

/**
 * Troupe's rows carry the bare bench name; the raw `ws` baselines are suffixed. Round-trip times are lower-is-
 * better: there a ratio of 2 means twice the raw round trip.
 */
const rowSpecs: readonly RowSpec[] = [
  {
    bench: 'remote-tell/ws-1-per-frame',
    case: 'ws-1-per-frame',
    metric: 'throughput',
    unit: 'msg/s',
    baseline: 'ws-100-per-frame',
  },
  {
    bench: 'remote-tell/ws-100-per-frame',
    case: 'ws-100-per-frame',
    metric: 'throughput',
    unit: 'msg/s',
    baseline: 'ws-100-per-frame',
  },
  {
    bench: 'remote-tell',
    case: 'troupe-tell',
    metric: 'throughput',
    unit: 'msg/s',
    baseline: 'ws-100-per-frame',
    target: { text: '≥ 0.7 × baseline', pass: (r) => r >= 0.7 },
  },
  { bench: 'remote-ask-1/ws', case: 'ws-req-1', metric: 'throughput', unit: 'req/s', baseline: 'ws-req-1' },
  { bench: 'remote-ask-1/ws', case: 'ws-req-1', metric: 'rtt-p50', unit: 'µs', baseline: 'ws-req-1' },
  { bench: 'remote-ask-1/ws', case: 'ws-req-1', metric: 'rtt-p99', unit: 'µs', baseline: 'ws-req-1' },
  { bench: 'remote-ask-1', case: 'troupe-ask-1', metric: 'throughput', unit: 'req/s', baseline: 'ws-req-1' },
  { bench: 'remote-ask-1', case: 'troupe-ask-1', metric: 'rtt-p50', unit: 'µs', baseline: 'ws-req-1' },
  {
    bench: 'remote-ask-1',
    case: 'troupe-ask-1',
    metric: 'rtt-p99',
    unit: 'µs',
    baseline: 'ws-req-1',
    target: { text: '≤ 1.5 × baseline (lower is better)', pass: (r) => r <= 1.5 },
  },
  {
    bench: 'remote-ask-100/ws',
    case: 'ws-req-100',
    metric: 'throughput',
    unit: 'req/s',
    baseline: 'ws-req-100',
  },
  {
    bench: 'remote-ask-100',
    case: 'troupe-ask-100',
    metric: 'throughput',
    unit: 'req/s',
    baseline: 'ws-req-100',
    target: { text: '≥ 1.0 × baseline', pass: (r) => r >= 1 },
  },
];

/** A case's client process (which forks its server), driven over IPC: warm-up, samples on demand, stop. */
class CaseProcess {
  private readonly replies: ((r: CaseReport) => void)[] = [];
  private readonly exited: Promise<void>;
  private failure: Error | undefined;

  private constructor(
    readonly name: RemoteCaseName,
    /** Run with `--variant`'s environment variable: printed, never a row. */
    readonly variant: boolean,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (r: CaseReport) => this.replies.shift()?.(r));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.failure ??= new Error(`${this.label}: exited (${signal ?? code}) unasked`);
        for (const reply of this.replies.splice(0)) reply({ type: 'ready' });
        resolve();
      });
    });
  }

  /**
   * Forks the case and resolves once it has connected and warmed up; `variant`: with `--variant`'s environment
   * variable, in both of its processes (the server inherits the client's environment).
   */
  static async start(
    name: RemoteCaseName,
    options: RemoteSectionOptions,
    variant = false,
  ): Promise<CaseProcess> {
    const { pin } = options;
    // A variant's profiles go under DIR/variant, with the same names as the case's own.
    const cpuProfDir =
      options.cpuProfDir && variant ? join(options.cpuProfDir, 'variant') : options.cpuProfDir;
    const child = fork(join(__dirname, 'run-remote-case.ts'), [name], {
      execArgv: ['--import', 'tsx', ...cpuProfArgs(cpuProfDir, `${name}-client`)],
      cwd: join(__dirname, '..', '..'),
      env: {
        ...process.env,
        ...(cpuProfDir ? { [CPU_PROF_ENV]: cpuProfDir } : {}),
        ...(pin ? { [PIN_ENV]: pin } : {}),
        ...(variant && options.variant ? { [options.variant.name]: options.variant.value } : {}),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const cp = new CaseProcess(name, variant, child);
    await cp.next(undefined);
    return cp;
  }

  get label(): string {
    return this.variant ? `${this.name}+variant` : this.name;
  }

  async sample(): Promise<SampleStats> {
    const r = await this.next({ type: 'sample' });
    if (r.type !== 'sample') throw new Error(`${this.label}: no sample`);
    return r.stats;
  }

  /** Asks the case to stop its server and exit; kills it when it does not. */
  async stop(): Promise<void> {
    this.failure ??= new Error('stopped');
    if (this.child.connected) this.child.send({ type: 'stop' } satisfies CaseCommand);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Sends a command (or none) and waits for the answer, within CASE_STEP_TIMEOUT_MS. */
  private next(cmd: CaseCommand | undefined): Promise<CaseReport> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.failure = new Error(`${this.label}: no answer in ${CASE_STEP_TIMEOUT_MS} ms`);
        // SIGTERM, not SIGKILL: the client's server notices its parent is gone and exits.
        this.child.kill('SIGTERM');
      }, CASE_STEP_TIMEOUT_MS);
      this.replies.push((r) => {
        clearTimeout(timer);
        if (this.failure) reject(this.failure);
        else resolve(r);
      });
      if (cmd) this.child.send(cmd);
    });
  }
}

interface Entry {
  spec: RowSpec;
  measurement: Measurement;
  baseline: number;
}

const round = (x: number, unit: RowSpec['unit']): number => Number(x.toFixed(unit === 'µs' ? 1 : 0));

function toRow({ spec, measurement, baseline }: Entry): ResultRow {
  return {
    bench: spec.bench,
    metric: spec.metric,
    value: round(measurement.value, spec.unit),
    unit: spec.unit,
    baseline: round(baseline, spec.unit),
    ratio: Number((measurement.value / baseline).toPrecision(4)),
  };
}

function renderTable(entries: readonly Entry[]): string {
  const format = (x: number, unit: RowSpec['unit']) =>
    x.toLocaleString('en-US', { maximumFractionDigits: unit === 'µs' ? 1 : 0 });
  const lines = [
    '| bench | metric | value | unit | baseline | ratio | spread | n | target | pass |',
    '| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | --- | :---: |',
  ];
  for (const { spec, measurement, baseline } of entries) {
    const { value, samples, n } = measurement;
    const ratio = value / baseline;
    const spread = (quantile(samples, 0.75) - quantile(samples, 0.25)) / 2 / value;
    const target = spec.target?.text ?? '—';
    const pass = spec.target ? (spec.target.pass(ratio) ? '✅' : '❌') : '—';
    lines.push(
      `| ${spec.bench} | ${spec.metric} | ${format(value, spec.unit)} | ${spec.unit} | ` +
        `${format(baseline, spec.unit)} | ${ratio.toFixed(2)} | ±${(spread * 100).toFixed(1)}% | ` +
        `${n.toLocaleString('en-US')} | ${target} | ${pass} |`,
    );
  }
  return lines.join('\n');
}

export interface RemoteSection {
  rows: ResultRow[];
  table: string;
  machine: string;
  seconds: number;
  /** Cases that failed; when any did, the rows are incomplete and must not replace the last full run. */
  failures: string[];
}

export interface RemoteSectionOptions {
  /** Profile both processes of every case into this directory. */
  cpuProfDir?: string;
  /** Pin each case's two processes to one CPU or to two (see pin-processes.ts). */
  pin?: PinMode;
  /** Keep every CPU from halting while the section runs (see keep-cpus-awake.ts). */
  keepAwake?: boolean;
  /**
   * An A/B in one run: every Troupe case is also measured with this environment variable set (code under test
   * reads it), its samples interleaved with the others of its group; printed only, never a row.
   */
  variant?: { name: string; value: string };
}

/** Runs every remote case. */
export async function runRemoteSection(options: RemoteSectionOptions = {}): Promise<RemoteSection> {
  const began = Date.now();
  const machine = describeMachine(['ws', 'cbor-x']);
  const measured = new Map<RemoteCaseName, RemoteMeasurements>();
  const failures: string[] = [];
  const stopSpinners = options.keepAwake ? keepCpusAwake() : undefined;
  try {
    await measureGroups(options, measured, failures);
  } finally {
    stopSpinners?.();
  }
  const entries: Entry[] = [];
  for (const spec of rowSpecs) {
    const measurement = measured.get(spec.case)?.[spec.metric];
    const baseline = measured.get(spec.baseline)?.[spec.metric]?.value;
    if (measurement && baseline !== undefined) entries.push({ spec, measurement, baseline });
  }
  const seconds = Math.round((Date.now() - began) / 1000);
  return { rows: entries.map(toRow), table: renderTable(entries), machine, seconds, failures };
}

/** Measures each group's cases together (see `remoteGroups`) into `measured`; a failed group's into `failures`. */
async function measureGroups(
  options: RemoteSectionOptions,
  measured: Map<RemoteCaseName, RemoteMeasurements>,
  failures: string[],
): Promise<void> {
  for (const group of remoteGroups) {
    const processes: CaseProcess[] = [];
    try {
      for (const name of group) {
        processes.push(await CaseProcess.start(name, options));
        if (options.variant && name.startsWith('troupe-'))
          processes.push(await CaseProcess.start(name, options, true));
      }
      const samples = new Map<CaseProcess, SampleStats[]>(processes.map((p) => [p, []]));
      const rounds = findRemoteCase(group[0]).plan.samples;
      for (let round = 0; round < rounds; round++) {
        for (const p of processes) samples.get(p)!.push(await p.sample());
      }
      for (const [p, taken] of samples) {
        const result = summarize(taken);
        if (!p.variant) measured.set(p.name, result);
        const summary = Object.entries(result)
          .map(([metric, m]) => `${metric} ${m.value.toFixed(metric === 'throughput' ? 0 : 1)}`)
          .join(', ');
        console.log(`remote/${p.label.padEnd(21)} ${summary}`);
      }
    } catch (err) {
      failures.push(...group);
      console.error(`remote/${group.join('+')} failed: ${(err as Error).message}`);
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
    }
  }
}
