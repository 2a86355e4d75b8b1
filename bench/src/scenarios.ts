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
    measure: (c) =>
      measureThroughput({ nominal: 1_000_000, step: 1_000, trial: (n) => c.pingPong(1_000, n) }),
  },
  {
    name: 'ping-pong-1',
    metric: 'throughput',
    unit: 'msg/s',
    higherIsBetter: true,
    measure: (c) => measureThroughput({ nominal: 1_000_000, step: 1, trial: (n) => c.pingPong(1, n) }),
  },
  {
    name: 'fan-out',
    metric: 'throughput',
    unit: 'msg/s',
    higherIsBetter: true,
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
    measure: (c) => measureThroughput({ nominal: 200_000, step: 1_000, trial: (n) => c.spawnMany(n) }),
  },
  {
    name: 'idle-actor-bytes',
    metric: 'heap-per-actor',
    unit: 'B/actor',
    higherIsBetter: false,
    measure: (c) => measureIdleHeap(() => c.idleHost(), 100_000),
  },
];

export function findScenario(name: string): Scenario {
  const scenario = scenarios.find((s) => s.name === name);
  if (!scenario) throw new Error(`unknown scenario ${name}`);
  return scenario;
}
