import type { Contender } from './contender.js';
import { measureIdleHeap } from './measure-idle-heap.js';
import { measureThroughput } from './measure-throughput.js';
import type { Measurement } from './measurement.js';

export type ScenarioName = 'ping-pong-1000' | 'ping-pong-1' | 'fan-out' | 'spawn-rate' | 'idle-actor-bytes';

export interface Scenario {
  name: ScenarioName;
  metric: string;
  unit: 'msg/s' | 'spawn/s' | 'B/actor';
  higherIsBetter: boolean;
  summary: string;
  measure(contender: Contender): Promise<Measurement>;
}

const FAN_OUT_ACTORS = 1_000;
const FAN_OUT_PER_ACTOR = 10;
const FAN_OUT_ROUND = FAN_OUT_ACTORS * FAN_OUT_PER_ACTOR;

export const scenarios: readonly Scenario[] = [
  {
    name: 'ping-pong-1000',
    metric: 'throughput',
    unit: 'msg/s',
    higherIsBetter: true,
    summary: 'two actors bounce 1,000 messages in flight; up to 1,000,000 deliveries per sample',
    measure: (c) =>
      measureThroughput({ nominal: 1_000_000, step: 1_000, trial: (n) => c.pingPong(1_000, n) }),
  },
  {
    name: 'ping-pong-1',
    metric: 'throughput',
    unit: 'msg/s',
    higherIsBetter: true,
    summary: 'two actors bounce 1 message; up to 1,000,000 deliveries per sample',
    measure: (c) => measureThroughput({ nominal: 1_000_000, step: 1, trial: (n) => c.pingPong(1, n) }),
  },
  {
    name: 'fan-out',
    metric: 'throughput',
    unit: 'msg/s',
    higherIsBetter: true,
    summary: '1,000 actors; a round sends 10 messages to each and waits for all 10,000; up to 100 rounds per sample',
    measure: (c) =>
      measureThroughput({
        nominal: 100 * FAN_OUT_ROUND,
        step: FAN_OUT_ROUND,
        trial: (n) => c.fanOut(FAN_OUT_ACTORS, FAN_OUT_PER_ACTOR, n / FAN_OUT_ROUND),
      }),
  },
  {
    name: 'spawn-rate',
    metric: 'spawn-rate',
    unit: 'spawn/s',
    higherIsBetter: true,
    summary: 'spawn up to 200,000 trivial actors, then one message to the last; refs kept',
    measure: (c) => measureThroughput({ nominal: 200_000, step: 1_000, trial: (n) => c.spawnMany(n) }),
  },
  {
    name: 'idle-actor-bytes',
    metric: 'heap-per-actor',
    unit: 'B/actor',
    higherIsBetter: false,
    summary: 'heapUsed growth after spawning 100,000 idle actors and two full GCs, per actor',
    measure: (c) => measureIdleHeap(() => c.idleHost(), 100_000),
  },
];

export function findScenario(name: string): Scenario {
  const scenario = scenarios.find((s) => s.name === name);
  if (!scenario) throw new Error(`unknown scenario ${name}`);
  return scenario;
}
