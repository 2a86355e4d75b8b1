import { sweepSeeds } from '@troupe/testkit';
import { leaderScenario } from '../sim/leaderScenario';

// 500 seeds in CI; `npm run sim -- --scenario leader --seeds 5000` sweeps the registered (5-node) scenario further.
const SEEDS = Number(process.env.LEADER_SEEDS ?? 500);

describe('leader election over many seeds of the simulation', () => {
  it(`never has two leaders in a term nor two valid leases at once, and elects within 2 s of the heal (3 nodes, ${SEEDS} seeds)`, async () => {
    const result = await sweepSeeds((seed) => leaderScenario(seed, { nodes: 3, durationMs: 2000 }), {
      from: 1,
      count: SEEDS,
    });
    expect(result.failed.map((f) => [f.seed, (f.error as Error).message.slice(0, 2000)])).toEqual([]);
    expect(result.passed).toBe(SEEDS);
  }, 900_000);

  it('holds the same properties with 5 nodes (50 seeds, up to 2 down at once)', async () => {
    const result = await sweepSeeds((seed) => leaderScenario(seed, { durationMs: 2500 }), {
      from: 10_001,
      count: 50,
    });
    expect(result.failed.map((f) => [f.seed, (f.error as Error).message.slice(0, 2000)])).toEqual([]);
  }, 900_000);

  it('replays a seed exactly: same seed, same trace', async () => {
    const [a, b] = [await leaderScenario(77, { nodes: 3 }), await leaderScenario(77, { nodes: 3 })];
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.steps).toBe(b.steps);
  }, 60_000);
});
