/**
 * Cluster figures, measured on real processes: N node processes (default 10), each a `clusterNode.ts` from
 * packages/cluster/test/fixtures, over WebSocket on 127.0.0.1, started with the cluster's default settings and
 * with its fast ones.
 *
 * - time-to-converge: from the moment every process (already listening) is told to join, to the moment the last
 *   of them sees all N members up and its view converged. Process start-up is not counted.
 * - time-to-first-unreachable: from `kill -9` of one node process (neither a seed nor the leader) to the first
 *   survivor's failure detector finding it unreachable: the detector's own figure.
 * - time-to-unreachable / time-to-removed: from the same `kill -9` to each survivor reporting it unreachable (by
 *   its own detector or through gossip), and removed. Median over the survivors, and the slowest.
 *
 *   npx tsx bench/src/cluster/clusterBench.ts [--nodes 10] [--runs 3] [--default-runs 1] [--no-write]
 *
 * With CLUSTER_BENCH_DUMP=/tmp/prefix, a failed run leaves every process's lines in /tmp/prefix-<port>.jsonl.
 *
 * Writes one JSON object per line to bench/results/cluster.jsonl:
 * `{"bench", "metric", "value", "unit", "baseline", "ratio", ...}`, where `baseline` is the target (null when
 * there is none) and `ratio` = value / target.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(__dirname, '..', '..', '..');
const FIXTURES = join(ROOT, 'packages', 'cluster', 'test', 'fixtures');
const RESULTS = join(ROOT, 'bench', 'results', 'cluster.jsonl');

/** The settings the processes run with (ClusterSettings.defaults() and .fast()), for targets and the report. */
const SETTINGS = {
  default: { heartbeatMs: 1000, pauseMs: 3000, stableAfterMs: 20_000, warmMs: 15_000 },
  fast: { heartbeatMs: 100, pauseMs: 300, stableAfterMs: 500, warmMs: 3000 },
} as const;
type Mode = keyof typeof SETTINGS;

interface Line {
  t: number;
  event: string;
  member?: string;
  members?: number;
  up?: number;
  converged?: boolean;
  leader?: string;
}

class NodeProcess {
  readonly lines: Line[] = [];
  readonly exited: Promise<void>;
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = '';

  constructor(
    readonly port: number,
    seeds: readonly string[],
    mode: Mode,
  ) {
    this.child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(FIXTURES, 'clusterNode.ts'),
        '--port',
        String(port),
        '--seeds',
        seeds.join(','),
        '--settings',
        mode,
        '--wait-go',
      ],
      // The workspaces' sources, as in the tests: no build needed, and never a stale one.
      { cwd: ROOT, env: { ...process.env, TSX_TSCONFIG_PATH: join(FIXTURES, 'tsconfig.json') } },
    );
    let buffer = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        if (line.startsWith('{')) this.lines.push(JSON.parse(line) as Line);
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (c: string) => (this.stderr = (this.stderr + c).slice(-2000)));
    this.exited = new Promise((r) => this.child.once('exit', () => r()));
  }

  get address(): string {
    return `troupe://cluster@127.0.0.1:${this.port}`;
  }
  get errors(): string {
    return this.stderr;
  }
  get last(): Line | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--) if (this.lines[i].up !== undefined) return this.lines[i];
    return undefined;
  }
  go(): void {
    this.child.stdin.write('go\n');
  }
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
  async stop(): Promise<void> {
    this.kill();
    await this.exited;
  }
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((res, rej) => {
          const s = createServer();
          s.once('error', rej);
          s.listen(0, '127.0.0.1', () => res(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Run {
  convergeMs: number;
  unreachableMs: number[];
  removedMs: number[];
}

async function runOnce(mode: Mode, n: number): Promise<Run> {
  const ports = await freePorts(n);
  const seeds = ports.slice(0, 3).map((p) => `troupe://cluster@127.0.0.1:${p}`);
  const procs = ports.map((p) => new NodeProcess(p, seeds, mode));
  try {
    await until(
      () => procs.every((p) => p.lines.some((l) => l.event === 'listening')),
      120_000,
      `${n} processes listening (${procs.map((p) => p.errors).join('|')})`,
    );
    const goAt = Date.now();
    for (const p of procs) p.go();
    const convergedAt = (p: NodeProcess) =>
      p.lines.find((l) => l.t >= goAt && l.up === n && l.converged === true)?.t;
    await until(() => procs.every((p) => convergedAt(p) !== undefined), 120_000, `${n} up (${mode})`);
    const convergeMs = Math.max(...procs.map((p) => convergedAt(p)!)) - goAt;

    // Let the failure detectors learn the heartbeat interval, as in a cluster that has been up for a while.
    await new Promise((r) => setTimeout(r, SETTINGS[mode].warmMs));
    const leader = procs[0].last?.leader;
    const victim = procs.slice(3).find((p) => p.address !== leader)!;
    const observers = procs.filter((p) => p !== victim);
    const killedAt = Date.now();
    victim.kill();
    await victim.exited;
    const about = (p: NodeProcess, event: string) =>
      p.lines.find((l) => l.t >= killedAt && l.event === event && l.member === victim.address)?.t;
    await until(
      () => observers.every((p) => about(p, 'member-removed') !== undefined),
      SETTINGS[mode].stableAfterMs + 60_000,
      `removal of the killed node (${mode})`,
    );
    return {
      convergeMs,
      unreachableMs: observers.map((p) => about(p, 'unreachable')! - killedAt),
      removedMs: observers.map((p) => about(p, 'member-removed')! - killedAt),
    };
  } catch (e) {
    if (process.env.CLUSTER_BENCH_DUMP)
      for (const p of procs)
        writeFileSync(
          `${process.env.CLUSTER_BENCH_DUMP}-${p.port}.jsonl`,
          p.lines.map((l) => JSON.stringify(l)).join('\n'),
        );
    // What each process last said, to tell a slow machine from a stuck protocol.
    for (const p of procs)
      console.error(
        p.port,
        JSON.stringify(p.last),
        p.lines
          .filter((l) => l.event !== 'view')
          .slice(-6)
          .map((l) => `${l.event} ${l.member ?? ''}`)
          .join('; '),
        p.errors,
      );
    throw e;
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

interface Row {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  [extra: string]: unknown;
}

const row = (bench: string, metric: string, value: number, target: number | null, extra: object): Row => ({
  bench,
  metric,
  value: Math.round(value),
  unit: 'ms',
  baseline: target,
  ratio: target === null ? null : Number((value / target).toPrecision(3)),
  ...extra,
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '10' },
      runs: { type: 'string', default: '3' },
      'default-runs': { type: 'string', default: '1' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const n = Number(values.nodes);
  const machine = `${availableParallelism()} cores of ${cpus()[0]?.model.trim()}, Node ${process.version}, load ${loadavg()[0].toFixed(2)}`;
  console.log(`cluster bench: ${n} node processes over WebSocket on 127.0.0.1; ${machine}`);
  const rows: Row[] = [];
  for (const mode of ['fast', 'default'] as const) {
    const runs: Run[] = [];
    const count = Number(mode === 'fast' ? values.runs : values['default-runs']);
    for (let i = 0; i < count; i++) {
      const r = await runOnce(mode, n);
      console.log(
        `${mode} run ${i + 1}: converged in ${r.convergeMs} ms; after kill -9: unreachable first ` +
          `${Math.min(...r.unreachableMs)} ms, median ${median(r.unreachableMs)} ms ` +
          `(max ${Math.max(...r.unreachableMs)}), removed ${median(r.removedMs)} ms ` +
          `(max ${Math.max(...r.removedMs)})`,
      );
      runs.push(r);
    }
    if (runs.length === 0) continue;
    const s = SETTINGS[mode];
    const common = {
      nodes: n,
      runs: count,
      settings: mode,
      transport: 'ws-loopback, one process per node',
      machine,
    };
    rows.push(
      row(
        `cluster/converge-${n}/${mode}`,
        'time-to-converge',
        median(runs.map((r) => r.convergeMs)),
        mode === 'fast' ? 2000 : null,
        {
          ...common,
          samples: runs.map((r) => r.convergeMs),
        },
      ),
      // The first survivor to find it is the failure detector's own figure; the others learn it by gossip.
      row(
        `cluster/kill-9-first-unreachable/${mode}`,
        'time-to-first-unreachable',
        median(runs.map((r) => Math.min(...r.unreachableMs))),
        s.pauseMs + 2 * s.heartbeatMs,
        {
          ...common,
          samples: runs.map((r) => Math.min(...r.unreachableMs)),
          target: 'acceptable pause + 2 heartbeats',
        },
      ),
      row(
        `cluster/kill-9-unreachable/${mode}`,
        'time-to-unreachable',
        median(runs.map((r) => median(r.unreachableMs))),
        s.pauseMs + 2 * s.heartbeatMs,
        {
          ...common,
          maxMs: Math.max(...runs.flatMap((r) => r.unreachableMs)),
          target: 'acceptable pause + 2 heartbeats',
        },
      ),
      row(
        `cluster/kill-9-removed/${mode}`,
        'time-to-removed',
        median(runs.map((r) => median(r.removedMs))),
        null,
        {
          ...common,
          maxMs: Math.max(...runs.flatMap((r) => r.removedMs)),
          stableAfterMs: s.stableAfterMs,
        },
      ),
    );
  }
  for (const r of rows) console.log(JSON.stringify(r));
  if (!values['no-write']) writeFileSync(RESULTS, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
