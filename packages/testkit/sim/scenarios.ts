/**
 * The scenarios `npm run sim` knows, by name. Each takes a seed, runs `simulate` with its own options and
 * checks its properties: it resolves (with a report) when they hold and rejects with a `SimulationFailure`
 * when they do not. Add yours here to replay and sweep it from the command line.
 */
import { pingScenario, watchScenario } from '../src/simulation';
// Applications' scenarios live with the applications; imported by path, as the sim runs from the sources.
import { cacheScenario } from '../../../apps/replicated-cache/src/simulation/cacheScenario';
import { leaderScenario } from '../../../apps/leader-election/sim/leaderScenario';

export type ScenarioRunner = (seed: number) => Promise<unknown>;

export const scenarios: Readonly<Record<string, ScenarioRunner>> = {
  /** Five nodes asking and telling each other under a random nemesis: answers are right or time out. */
  ping: (seed) => pingScenario(seed),
  /** Remote death watch under crash-and-restart: every watcher of a crashed node's actor hears exactly once. */
  watch: (seed) => watchScenario(seed),
  /**
   * The replicated cache (apps/replicated-cache) under partitions, crashes and clock skew: quorum reads and
   * writes stay linearizable per key, no acknowledged write is lost, replicas converge after the heal.
   */
  cache: (seed) => cacheScenario(seed),
  /** The same with members from a real cluster: crashed nodes are downed, removed and rejoin. */
  'cache-cluster': (seed) => cacheScenario(seed, { cluster: true, durationMs: 6000 }),
  /**
   * Leader election (apps/leader-election), five nodes under partitions, drops, duplicates, crash-and-restarts
   * and clock offsets: never two leaders in a term, never two valid leases at once, a leader within 2 s of the heal.
   */
  leader: (seed) => leaderScenario(seed),
  /** The same with the voters taken from a real @troupe/cluster on every node (slower: gossip, failure detection). */
  'leader-cluster': (seed) => leaderScenario(seed, { cluster: true }),
};
