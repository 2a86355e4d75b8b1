// Figures of the deterministic cluster simulation (@troupe/testkit): how many simulated seconds a 5-node
// cluster with steady traffic runs per real second, and how many seeds of the `ping` scenario a sweep gets
// through per minute. Run with `npx tsx bench/src/sim/simBench.ts`; rows go to bench/results/sim.jsonl.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ActorRef, ask, receive, receiveMessage, setup } from '@troupe/core';
import { isActorRef, messageType, Serialization } from '@troupe/remote';
import { pingScenario, type SimNode, simulate, sweepSeeds } from '@troupe/testkit';

const RESULTS = join(__dirname, '..', '..', 'results', 'sim.jsonl');

interface Row {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  baseline: null;
  ratio: null;
}

type Req = { type: 'bench/req'; n: number; replyTo: ActorRef<Res> };
type Res = { type: 'bench/res'; n: number };

const serialization = (): Serialization =>
  new Serialization()
    .register(messageType<Req>('bench/req', (m) => Number.isInteger(m.n) && isActorRef(m.replyTo)))
    .register(messageType<Res>('bench/res', (m) => Number.isInteger(m.n)));

const NODES = 5;
/** Each node asks a random other node every this often: 50 asks (100 messages) a second over the cluster. */
const ASK_EVERY_MS = 100;
const SIMULATED_MS = 120_000;

/** Every node answers on `/user/server` and asks another node's server on a fixed-rate timer. */
function steadyApp(node: SimNode): void {
  const { system } = node;
  system.spawn(
    receiveMessage<Req>((m) => m.replyTo.tell({ type: 'bench/res', n: m.n })),
    'server',
  );
  const peers = Array.from({ length: NODES }, (_, i) => `node-${i + 1}`)
    .filter((name) => name !== node.name)
    .map((name) => node.node.refFor<Req>(`troupe://${system.name}@${name}/user/server`));
  system.spawn(
    setup<'tick' | 'done'>((ctx) => {
      let n = 0;
      ctx.timers.startTimerAtFixedRate('tick', 'tick', ASK_EVERY_MS);
      return receive<'tick' | 'done'>((_ctx, m) => {
        if (m !== 'tick') return;
        const peer = peers[Math.floor(ctx.system.random.next() * peers.length)];
        ctx.pipeToSelf(
          ask(peer, (replyTo: ActorRef<Res>): Req => ({ type: 'bench/req', n: n++, replyTo }), {
            timeoutMs: 1000,
          }),
          () => 'done' as const,
          () => 'done' as const,
        );
      });
    }),
    'client',
  );
}

/** Real ms one run of the steady cluster takes for SIMULATED_MS of virtual time, and the steps it ran. */
async function steadyRun(seed: number): Promise<{ realMs: number; steps: number; delivered: number }> {
  const started = performance.now();
  const stats = await simulate(
    { seed, nodes: NODES, setup: steadyApp, serialization, traceLimit: 1000, durationMs: SIMULATED_MS },
    async (sim) => {
      await sim.run();
      return sim.stats();
    },
  );
  return { realMs: performance.now() - started, steps: stats.steps, delivered: stats.network.delivered };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const rows: Row[] = [];
  const row = (bench: string, metric: string, value: number, unit: string): void => {
    rows.push({ bench, metric, value, unit, baseline: null, ratio: null });
    console.log(`${bench.padEnd(24)} ${metric.padEnd(28)} ${value} ${unit}`);
  };

  await steadyRun(1000); // warm-up: JIT, module loading
  const runs = [];
  for (const seed of [1, 2, 3]) runs.push(await steadyRun(seed));
  const realMs = median(runs.map((r) => r.realMs));
  const steps = median(runs.map((r) => r.steps));
  row('sim/steady-5-nodes', 'simulated-seconds-per-second', Math.round(SIMULATED_MS / realMs), 'x');
  row('sim/steady-5-nodes', 'steps-per-second', Math.round(steps / (realMs / 1000)), 'steps/s');
  row(
    'sim/steady-5-nodes',
    'messages-per-second',
    Math.round(median(runs.map((r) => r.delivered)) / (realMs / 1000)),
    'msg/s',
  );

  await pingScenario(1000); // warm-up
  const sweep = await sweepSeeds((seed) => pingScenario(seed), { from: 1, count: 40 });
  if (sweep.failed.length > 0)
    throw new Error(`ping failed for seeds ${sweep.failed.map((f) => f.seed).join(', ')}`);
  row('sim/ping-sweep', 'seeds-per-minute', Math.round(sweep.seedsPerSecond * 60), 'seeds/min');

  writeFileSync(RESULTS, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  console.log(`wrote ${RESULTS}`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
