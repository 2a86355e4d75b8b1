import { ClusterSettings, startCluster } from '@troupe/cluster';
import { simulate, sweepSeeds } from '@troupe/testkit';
import { type LeaderElection, startLeaderElection } from '../src';
import { leaderScenario } from '../sim/leaderScenario';
import { testSerialization, voters } from './apps';

const SEEDS = Number(process.env.LEADER_CLUSTER_SEEDS ?? 12);

describe('leader election with the voters taken from a cluster', () => {
  it('counts every member as a voter and elects one leader they all follow', async () => {
    const elections = new Map<string, LeaderElection>();
    await simulate(
      {
        seed: 21,
        nodes: 3,
        serialization: testSerialization,
        setup: (node) => {
          const cluster = startCluster(node.node, { seeds: voters(2), settings: ClusterSettings.fast() });
          elections.set(node.name, startLeaderElection(node.node, { cluster }));
        },
      },
      async (sim) => {
        const all = () => [...elections.values()];
        const ok = await sim.runUntil(() => {
          const leader = all().find((e) => e.isLeader());
          return (
            leader !== undefined &&
            all().every((e) => e.voters().length === 3 && e.currentLeader()?.address === leader.address)
          );
        }, 10_000);
        expect(ok).toBe(true);
        for (const e of all()) expect(e.voters()).toEqual(voters(3));
        expect(all().filter((e) => e.isLeader())).toHaveLength(1);
      },
    );
  });

  it(`keeps one leader per term and disjoint leases under the nemesis, for ${SEEDS} seeds`, async () => {
    const result = await sweepSeeds((seed) => leaderScenario(seed, { cluster: true, durationMs: 2500 }), {
      from: 1,
      count: SEEDS,
    });
    expect(result.failed.map((f) => [f.seed, (f.error as Error).message.slice(0, 1500)])).toEqual([]);
  }, 600_000);
});
