/**
 * Replicated-cache figures, on real processes: 3 cache node processes (`cacheNode.ts` of apps/replicated-cache,
 * a cluster over WebSocket on 127.0.0.1, replication factor 3), driven from this process through the typed
 * client (`createCacheClient`, which talks to node-1's cache actor over WebSocket; with `--coordinators all`,
 * given the three addresses, it sends each request to the key's first replica on the ring instead) with 100
 * requests in flight.
 *
 * - quorum writes: `put` at consistency quorum (ABD: the versions of 2 of 3 replicas, then the write, which 2 of
 *   3 acknowledge; node-1 soon holds the write lease of the one replica set, and its writes then skip the first
 *   phase);
 * - quorum reads: `get` at consistency quorum of keys written before (the coordinator and one other replica);
 * - the baseline, measured in the same run: the raw `ws` request/response server of the remote benchmark
 *   (bench/src/remote: `ws-req`, cbor-x, one request per frame), 100 in flight from the same driver.
 *
 * Samples of each case alternate, so that the load of the shared machine falls on all of them alike. Writes one
 * JSON object per line to bench/results/cache.jsonl (`{"bench", "metric", "value", "unit", "baseline",
 * "ratio", ...}`, baseline = the raw figure) and the table between the `results:cache` markers of bench/README.md.
 *
 *   node --import tsx bench/src/cache/cacheBench.ts [--samples 7] [--requests 12000] [--no-write]
 *     [--cases quorum-write,quorum-read] [--cpu-prof DIR] [--coordinators all|one]
 *     [--cluster-timings production|fast]
 *
 * The nodes' cluster runs with production timings (`ClusterSettings.defaults()`, heartbeats and gossip every
 * second), as a deployed cache would: the fast timings of the demo and the tests cost each node about 50 ms of
 * CPU a second when idle on this kind of machine, which the figures would charge to the requests
 * (`--cluster-timings fast` measures with them).
 * `--cases` measures only those cases (the ratios need `raw-ws-req-100` among them; without it, only the rates,
 * latencies and CPU are printed). Every run prints the CPU time and the write/read system calls (from /proc) each
 * process spent per request of each case (the client and the processes serving it), and what the nodes' replicas
 * served (version queries, reads) and how often a coordinator asked more replicas than it first did
 * (`speculativeRetries`), over the whole run. `--cpu-prof DIR` profiles every node process into `DIR/node-<i>` and
 * writes nothing; profile this process too by running it under `node --cpu-prof --cpu-prof-dir=DIR/client`.
 * `profileWindows.ts DIR` then gives each process's CPU per request and its top functions, within the measured
 * samples only.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createNode } from '@troupe/remote';
import { WebSocketTransport } from '@troupe/transport-ws';
import { type CacheClient, createCacheClient } from '../../../apps/replicated-cache/src';
import { freePorts, until } from '@troupe/testkit';
import { CacheNodeProcess } from '../../../apps/replicated-cache/src/cli/startNodeProcess';
import { describeMachine } from '../machine.js';
import { quantile } from '../quantile.js';
import { replaceBetweenMarkers } from '../replace-between-markers.js';
import { driveRequests } from '../remote/drive-requests.js';
import { PAYLOAD } from '../remote/protocol.js';
import { rawRequestClient } from '../remote/raw-client.js';
import { troupeAskClient } from '../remote/troupe-client.js';
import type { RemoteClient } from '../remote/remote-client.js';
import { ServerProcess } from '../remote/server-process.js';

const ROOT = resolve(__dirname, '..', '..', '..');
const RESULTS = join(ROOT, 'bench', 'results', 'cache.jsonl');
const README = join(ROOT, 'bench', 'README.md');
const START = '<!-- results:cache:start -->';
const END = '<!-- results:cache:end -->';
const IN_FLIGHT = 100;
const SECRET = 'troupe-cache-bench-secret';
const KEYS = 1000;

type CaseName = 'raw-ws-req-100' | 'troupe-ask-100' | 'quorum-write' | 'quorum-read';
const CASES: readonly CaseName[] = ['raw-ws-req-100', 'troupe-ask-100', 'quorum-write', 'quorum-read'];

interface Sample {
  rate: number;
  rtts: Float64Array;
}

/** CPU time (user + system) a process has used so far, in µs, from /proc (Linux); undefined elsewhere. */
function cpuUs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
/**
 * Write and read system calls a process (`self` for this one) has made so far, from /proc (Linux); undefined
 * elsewhere. Messages go out in as many writes as the transports flush: how well they were batched.
 */
function syscalls(pid: number | 'self' | undefined): [number, number] | undefined {
  if (pid === undefined) return undefined;
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1]);
    return [field('syscw'), field('syscr')];
  } catch {
    return undefined;
  }
}

/** Linux's USER_HZ, which /proc/<pid>/stat counts in. */
const CLOCK_TICKS = 100;

async function measure(client: RemoteClient, n: number): Promise<Sample> {
  const rtts = new Float64Array(n);
  const t0 = performance.now();
  await client.run(n, rtts);
  return { rate: n / ((performance.now() - t0) / 1000), rtts };
}

function cacheClientCase(client: CacheClient, kind: 'write' | 'read'): RemoteClient {
  const value = { payload: PAYLOAD };
  const request =
    kind === 'write'
      ? (n: number) => client.put(`key-${n % KEYS}`, value, { consistency: 'quorum' })
      : async (n: number) => {
          if ((await client.get(`key-${n % KEYS}`, { consistency: 'quorum' })) === undefined)
            throw new Error(`key-${n % KEYS} missing`);
        };
  return { run: (n, rtts) => driveRequests(request, IN_FLIGHT, n, rtts), close: async () => undefined };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      samples: { type: 'string', default: '7' },
      requests: { type: 'string', default: '12000' },
      'no-write': { type: 'boolean', default: false },
      cases: { type: 'string' },
      // 'all': the client is given every node and sends each request to the key's first replica, spreading the
      // coordinating; 'one' (default): every request to node-1. On two cores 'one' costs half the CPU per
      // request: one coordinator gathers a turn's requests into one message per peer, three split them.
      coordinators: { type: 'string', default: 'one' },
      // The nodes' cluster timings: production (Akka's defaults), as a deployed cache runs, or fast (tests').
      'cluster-timings': { type: 'string', default: 'production' },
      'cpu-prof': { type: 'string' },
    },
  });
  const only = values.cases?.split(',') ?? CASES;
  for (const c of only) if (!CASES.includes(c as CaseName)) throw new Error(`unknown case ${c}`);
  const measured = CASES.filter((c) => only.includes(c));
  const profileDir = values['cpu-prof'];
  const clusterTimings = values['cluster-timings'];
  if (clusterTimings !== 'production' && clusterTimings !== 'fast')
    throw new Error(`--cluster-timings must be production or fast, not ${clusterTimings}`);
  const write = !values['no-write'] && profileDir === undefined && measured.length === CASES.length;
  const samples = Number(values.samples);
  const requests = Number(values.requests);
  const machine = describeMachine();
  console.log(`cache bench: 3 node processes over WebSocket on 127.0.0.1; ${machine}`);
  const began = Date.now();

  const ports = await freePorts(3);
  const seeds = ports.slice(0, 2).map((p) => `troupe://cache@127.0.0.1:${p}`);
  const nodes = ports.map(
    (port, i) =>
      new CacheNodeProcess({
        port,
        seeds,
        secret: SECRET,
        clusterTimings,
        cpuProfDir: profileDir === undefined ? undefined : join(resolve(profileDir), `node-${i + 1}`),
      }),
  );
  const raw = await ServerProcess.start('ws-req', 'cache-baseline');
  const echo = await ServerProcess.start('troupe', 'cache-troupe-ask');
  const clientNode = await createNode({
    name: 'cache',
    transport: new WebSocketTransport({ host: '127.0.0.1', port: 0, secret: SECRET }),
    logLevel: 'off',
  });
  try {
    await until(() => nodes.every((p) => p.ready), 120_000, `3 ready nodes (${nodes.map((p) => p.errors)})`);
    // Every node must see all three members, or quorums would be of smaller preference lists.
    const membersOk = async () => {
      for (const p of nodes) {
        const h = (await (await fetch(`${p.url}/health`)).json()) as { members: string[]; ready: boolean };
        if (h.members.length !== 3 || !h.ready) return false;
      }
      return true;
    };
    const deadline = Date.now() + 60_000;
    while (!(await membersOk())) {
      if (Date.now() > deadline) throw new Error('the three nodes never saw each other');
      await new Promise((r) => setTimeout(r, 100));
    }
    const cache = createCacheClient(
      clientNode,
      values.coordinators === 'one' ? nodes[0].address : nodes.map((p) => p.address),
      { requestTimeoutMs: 5000 },
    );
    const cases: Record<CaseName, RemoteClient> = {
      'raw-ws-req-100': await rawRequestClient(raw.address, IN_FLIGHT),
      'troupe-ask-100': await troupeAskClient(echo.address, IN_FLIGHT),
      'quorum-write': cacheClientCase(cache, 'write'),
      'quorum-read': cacheClientCase(cache, 'read'),
    };
    // Warm-up: every key written (so reads find them), JIT warm on all paths.
    const warmWrites = Math.max(KEYS, requests / 2);
    await cases['quorum-write'].run(warmWrites);
    await cases['quorum-read'].run(requests / 2);
    if (measured.includes('raw-ws-req-100')) await cases['raw-ws-req-100'].run(requests);
    if (measured.includes('troupe-ask-100')) await cases['troupe-ask-100'].run(requests);
    const got: Record<CaseName, Sample[]> = {
      'raw-ws-req-100': [],
      'troupe-ask-100': [],
      'quorum-write': [],
      'quorum-read': [],
    };
    // In a profiling run: when each sample ran, on the monotonic clock the profiles' timestamps use.
    const windows: { name: CaseName; fromUs: number; toUs: number; requests: number }[] = [];
    // CPU time each process spent on each case (this one, the three nodes, the servers of the raw and ask cases):
    // what a request costs in all, which the shared machine's load changes far less than it changes throughput.
    const processes: [string, () => number | undefined][] = [
      [
        'client',
        () => {
          const u = process.cpuUsage();
          return u.user + u.system;
        },
      ],
      ...nodes.map((p, i): [string, () => number | undefined] => [`node-${i + 1}`, () => cpuUs(p.pid)]),
      ['raw-server', () => cpuUs(raw.pid)],
      ['ask-server', () => cpuUs(echo.pid)],
    ];
    /** The processes that work for a case. */
    const partOf = (name: CaseName, label: string): boolean =>
      label === 'client' ||
      (name === 'raw-ws-req-100'
        ? label === 'raw-server'
        : name === 'troupe-ask-100'
          ? label === 'ask-server'
          : label.startsWith('node-'));
    const cpu = new Map<CaseName, Map<string, number>>(measured.map((c) => [c, new Map()]));
    const pids: (number | 'self' | undefined)[] = ['self', ...nodes.map((p) => p.pid), raw.pid, echo.pid];
    const calls = new Map<CaseName, [number, number][]>(measured.map((c) => [c, pids.map(() => [0, 0])]));
    for (let s = 0; s < samples; s++) {
      for (const name of measured) {
        const fromUs = Number(process.hrtime.bigint() / 1000n);
        const before = processes.map(([, f]) => f());
        const callsBefore = pids.map(syscalls);
        const sample = await measure(cases[name], requests);
        pids.forEach((pid, i) => {
          const a = callsBefore[i];
          const b = syscalls(pid);
          if (!a || !b) return;
          const sum = calls.get(name)![i];
          sum[0] += (b[0] - a[0]) / (samples * requests);
          sum[1] += (b[1] - a[1]) / (samples * requests);
        });
        windows.push({ name, fromUs, toUs: Number(process.hrtime.bigint() / 1000n), requests });
        processes.forEach(([label, f], i) => {
          const a = before[i];
          const b = f();
          if (a === undefined || b === undefined || !partOf(name, label)) return;
          const per = cpu.get(name)!;
          per.set(label, (per.get(label) ?? 0) + (b - a) / (samples * requests));
        });
        got[name].push(sample);
        console.log(
          `sample ${s + 1} ${name.padEnd(16)} ${Math.round(sample.rate).toLocaleString('en-US')} req/s`,
        );
      }
    }
    // What the targeting of replicas did over the whole run (warm-up included): version queries and reads each
    // node's replica answered for a coordinator, and how often a coordinator asked more replicas than first.
    const stats = await Promise.all(
      nodes.map(async (p) => (await (await fetch(`${p.url}/stats`)).json()) as Record<string, number>),
    );
    console.log(
      'replica work: ' +
        stats
          .map(
            (st, i) =>
              `node-${i + 1} versionsServed ${st.versionsServed} readsServed ${st.readsServed}` +
              ` speculativeRetries ${st.speculativeRetries}`,
          )
          .join('; '),
    );
    await cases['raw-ws-req-100'].close();
    await cases['troupe-ask-100'].close();

    const summary = (name: CaseName) => {
      const rates = got[name].map((x) => x.rate);
      const all = Float64Array.from(got[name].flatMap((x) => Array.from(x.rtts)));
      return {
        rate: quantile(rates, 0.5),
        spread: (Math.max(...rates) - Math.min(...rates)) / 2 / quantile(rates, 0.5),
        p50: quantile(Array.from(all), 0.5),
        p99: quantile(Array.from(all), 0.99),
        n: all.length,
      };
    };
    for (const name of measured) {
      const per = cpu.get(name)!;
      const total = [...per.values()].reduce((a, b) => a + b, 0);
      console.log(
        `${name}: ${total.toFixed(0)} µs CPU per request in all (` +
          [...per].map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ') +
          ')',
      );
      console.log(
        `${name}: system calls per request, writes/reads (` +
          calls
            .get(name)!
            .flatMap(([w, r], i) =>
              partOf(name, processes[i][0]) ? [`${processes[i][0]} ${w.toFixed(2)}/${r.toFixed(2)}`] : [],
            )
            .join(', ') +
          ')',
      );
    }
    if (profileDir !== undefined) {
      mkdirSync(profileDir, { recursive: true });
      writeFileSync(join(profileDir, 'windows.json'), JSON.stringify(windows));
      console.log(
        `profiles in ${profileDir}/node-1..3, samples' times in ${profileDir}/windows.json;` +
          ` CPU per request: node --import tsx bench/src/cache/profileWindows.ts ${profileDir}`,
      );
    }
    if (!measured.includes('raw-ws-req-100')) {
      for (const name of measured) {
        const s = summary(name);
        console.log(
          `${name}: ${Math.round(s.rate).toLocaleString('en-US')} req/s, p50 ${s.p50.toFixed(0)} µs, p99 ${s.p99.toFixed(0)} µs`,
        );
      }
      return;
    }
    const base = summary('raw-ws-req-100');
    const cpuRow = (name: CaseName): Record<string, number> | undefined =>
      name === 'quorum-write' || name === 'quorum-read'
        ? Object.fromEntries([...cpu.get(name)!].map(([k, v]) => [k, Math.round(v)]))
        : undefined;
    const rows: object[] = [];
    const table: string[] = [
      '| bench | metric | value | unit | baseline | ratio | spread | n | target | pass |',
      '| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | --- | :-: |',
    ];
    const fmt = (v: number, unit: string) =>
      unit === 'µs'
        ? v.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 })
        : Math.round(v).toLocaleString('en-US');
    for (const name of measured) {
      const s = summary(name);
      const bench = `cache/${name}`;
      for (const [metric, value, b, unit] of [
        ['throughput', s.rate, base.rate, 'req/s'],
        ['latency-p50', s.p50, base.p50, 'µs'],
        ['latency-p99', s.p99, base.p99, 'µs'],
      ] as const) {
        const ratio = Number((value / b).toPrecision(4));
        const target =
          name === 'quorum-write' && metric === 'throughput'
            ? { text: '≥ 0.5 × baseline', pass: ratio >= 0.5 }
            : undefined;
        rows.push({
          bench,
          metric,
          value: unit === 'µs' ? Number(value.toFixed(1)) : Math.round(value),
          unit,
          baseline: unit === 'µs' ? Number(b.toFixed(1)) : Math.round(b),
          ratio,
          ...(metric === 'throughput' ? { spread: Number(s.spread.toFixed(3)) } : {}),
          n: s.n,
          inFlight: IN_FLIGHT,
          nodes: 3,
          replicationFactor: 3,
          transport:
            name === 'raw-ws-req-100' || name === 'troupe-ask-100'
              ? 'ws-loopback, client and server processes (the remote bench server)'
              : 'ws-loopback, one process per node, typed client in a fourth',
          ...(target ? { target: target.text, pass: target.pass } : {}),
          ...(metric === 'throughput' && cpuRow(name) ? { cpuUsPerRequest: cpuRow(name) } : {}),
        });
        table.push(
          `| ${bench} | ${metric} | ${fmt(value, unit)} | ${unit} | ${fmt(b, unit)} | ${ratio.toFixed(2)} | ${
            metric === 'throughput' ? `±${(s.spread * 100).toFixed(1)}%` : '—'
          } | ${s.n.toLocaleString('en-US')} | ${target?.text ?? '—'} | ${target ? (target.pass ? '✅' : '❌') : '—'} |`,
        );
      }
    }
    const seconds = Math.round((Date.now() - began) / 1000);
    const text = table.join('\n');
    console.log(`\n${text}\n`);
    if (write) {
      writeFileSync(RESULTS, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const stamp = new Date().toISOString().slice(0, 10);
      const body = `Measured ${stamp} on ${machine}; the section took ${seconds} s.\n\n${text}`;
      const prettier = await import('prettier');
      const readme = replaceBetweenMarkers(readFileSync(README, 'utf8'), START, END, body);
      const options = await prettier.resolveConfig(README);
      writeFileSync(README, await prettier.format(readme, { ...options, filepath: README }));
      console.log(`wrote ${RESULTS} and ${README}`);
    }
  } finally {
    await clientNode.shutdown();
    await raw.stop();
    await echo.stop();
    await Promise.all(nodes.map((p) => p.stop()));
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
