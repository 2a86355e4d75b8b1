/**
 * Cluster figures, measured on real processes: N node processes (default 10), each a `clusterNode.ts` from
 * packages/cluster/test/fixtures, over WebSocket on 127.0.0.1, started with the cluster's default settings and
 * with its fast ones.
 *
 * - time-to-converge: from the moment every process (already listening) is told to join, to the moment the last
 *   of them sees all N members up and its view converged. Process start-up is not counted.
 * - time-to-first-unreachable: from `kill -9` of one node process (neither a seed nor the leader) to the first
 *   survivor's failure detector finding it unreachable: the detector's own figure.
 * - time-to-unreachable (-everywhere): from the same `kill -9` to each survivor reporting it unreachable (by its
 *   own detector or from the first one), median over the survivors, and the slowest survivor.
 * - time-to-removed: to each survivor reporting it removed; median over the survivors. This is detection plus
 *   downing's stable-after plus two round trips, and is compared with that bound, not with the detection target.
 *
 *   npx tsx bench/src/cluster/clusterBench.ts [--nodes 10] [--runs 3] [--default-runs 1] [--no-write]
 *
 * With CLUSTER_BENCH_DUMP=/tmp/prefix, a failed run leaves every process's lines in /tmp/prefix-<port>.jsonl.
 *
 * Writes one JSON object per line to bench/results/cluster.jsonl:
 * `{"bench", "metric", "value", "unit", "baseline", "ratio", ...}`, where `baseline` is the target (null when
 * there is none) and `ratio` = value / target.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ClusterSettings } from '@troupe/cluster';
import { until } from '@troupe/testkit';
import { freePorts, NodeProcess } from '../../../packages/cluster/test/fixtures/nodeProcesses';
import { describeMachine } from '../machine';

const ROOT = resolve(__dirname, '..', '..', '..');
const RESULTS = join(ROOT, 'bench', 'results', 'cluster.jsonl');

/** The settings the processes run with (clusterNode.ts --settings), for the targets and the report. */
const SETTINGS = { default: ClusterSettings.defaults(), fast: ClusterSettings.fast() } as const;
/** Let the failure detectors learn the heartbeat interval first, as in a cluster that has been up a while. */
const WARM_MS = { default: 15_000, fast: 3000 } as const;
type Mode = keyof typeof SETTINGS;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Run {
  convergeMs: number;
  unreachableMs: number[];
  removedMs: number[];
  /**
   * Unreachable events about live members between the kill and the removal, summed over the survivors: false
   * suspicions of an overloaded machine. Each one restarts downing's stable-after.
   */
  falseSuspicions: number;
  /** Load average when the node was killed. */
  load: number;
}

async function runOnce(mode: Mode, n: number): Promise<Run> {
  const ports = await freePorts(n);
  const seeds = ports.slice(0, 3).map((p) => `troupe://cluster@127.0.0.1:${p}`);
  const procs = ports.map((p) => new NodeProcess(p, seeds, { settings: mode, waitGo: true }));
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
    await new Promise((r) => setTimeout(r, WARM_MS[mode]));
    const leader = procs[0].last?.leader;
    const victim = procs.slice(3).find((p) => p.address !== leader)!;
    const observers = procs.filter((p) => p !== victim);
    const killedAt = Date.now();
    const load = loadavg()[0];
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
      falseSuspicions: observers
        .flatMap((p) => p.lines)
        .filter((l) => l.t >= killedAt && l.event === 'unreachable' && l.member !== victim.address).length,
      load,
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
  const machine = describeMachine();
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
          `(max ${Math.max(...r.removedMs)}); ${r.falseSuspicions} false suspicions meanwhile; ` +
          `load ${r.load.toFixed(1)}`,
      );
      runs.push(r);
    }
    if (runs.length === 0) continue;
    const s = SETTINGS[mode];
    const detection = s.acceptableHeartbeatPauseMs + 2 * s.heartbeatIntervalMs;
    const removal = detection + s.stableAfterMs + s.gossipIntervalMs;
    const common = {
      falseSuspicions: runs.map((r) => r.falseSuspicions),
      loads: runs.map((r) => Number(r.load.toFixed(1))),
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
      // The target is about detection: the first survivor to find the node unreachable is the failure
      // detector's own figure; every other survivor learns it from that one at once (its change is pushed).
      row(
        `cluster/kill-9-first-unreachable/${mode}`,
        'time-to-first-unreachable',
        median(runs.map((r) => Math.min(...r.unreachableMs))),
        detection,
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
        detection,
        {
          ...common,
          samples: runs.map((r) => median(r.unreachableMs)),
          target: 'acceptable pause + 2 heartbeats',
        },
      ),
      row(
        `cluster/kill-9-unreachable-slowest/${mode}`,
        'time-to-unreachable-everywhere',
        median(runs.map((r) => Math.max(...r.unreachableMs))),
        detection,
        {
          ...common,
          samples: runs.map((r) => Math.max(...r.unreachableMs)),
          target: 'acceptable pause + 2 heartbeats',
        },
      ),
      // Removal is detection, then downing's stable-after (on purpose: a partition must have settled before
      // anyone is downed), then a round trip for the down and one for the removal. Not the target: a
      // bound derived from the settings, with one gossip interval for the two round trips.
      row(
        `cluster/kill-9-removed/${mode}`,
        'time-to-removed',
        median(runs.map((r) => median(r.removedMs))),
        removal,
        {
          ...common,
          samples: runs.map((r) => median(r.removedMs)),
          maxMs: Math.max(...runs.flatMap((r) => r.removedMs)),
          stableAfterMs: s.stableAfterMs,
          target: 'detection bound + stable-after + 1 gossip interval (derived)',
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
