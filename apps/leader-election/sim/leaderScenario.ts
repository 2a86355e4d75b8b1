/**
 * The `leader` simulation scenario: N nodes (default 5) electing a leader under a random nemesis (partitions,
 * isolations, bridges, drops, duplicates, reorders, delays, crash-and-restarts) with a constant clock offset per
 * node, then a quiet end. Registered as `leader` in packages/testkit/sim/scenarios.ts:
 *
 *   npm run sim -- --scenario leader --seeds 5000
 */
import { type Cluster, ClusterSettings, startCluster } from '@troupe/cluster';
import { Serialization } from '@troupe/remote';
import {
  checkOneLeaderPerTerm,
  type NemesisSchedule,
  type RandomNemesisOptions,
  type RoleObservation,
  simulate,
  type SimNode,
  type Simulation,
} from '@troupe/testkit';
import {
  type ElectionSettings,
  type ElectionStorage,
  type LeaderElection,
  memoryStorage,
  startLeaderElection,
} from '../src';

/** A lease a node held, in shared virtual time: from when it was granted to when it ran out (or was dropped). */
export interface LeaseInterval {
  readonly node: string;
  readonly term: number;
  readonly from: number;
  until: number;
}

/** What a `leader` run did, for the runner to print. */
export interface LeaderReport {
  /** Leaders seen, one per (term, node). */
  readonly leaderships: number;
  readonly highestTerm: number;
  readonly leases: number;
  /** Virtual ms from the end of the nemesis (all healed) to the moment every live node agreed on one leader. */
  readonly electedAfterQuietMs: number;
  readonly steps: number;
  readonly virtualMs: number;
  readonly traceHash: string;
}

/** Options of {@link leaderScenario}; the defaults are the registered scenario. */
export interface LeaderScenarioOptions {
  nodes?: number;
  /** How long the nemesis is at work. Default 4000 ms. */
  durationMs?: number;
  nemesis?: NemesisSchedule | 'random' | 'none' | { random: RandomNemesisOptions };
  /** Largest constant clock offset of a node, either way. Default 200 ms. */
  skewMs?: number;
  settings?: Partial<ElectionSettings>;
  /** The stated liveness bound: once all is healed, one leader everyone follows within this. Default 2000 ms. */
  electionBoundMs?: number;
  /**
   * Take the voters from a real `@troupe/cluster` (fast settings, seeds node-1 and node-2) running on every node,
   * instead of the fixed list of all nodes. Default false.
   */
  cluster?: boolean;
}

interface History {
  now: () => number;
  readonly observations: RoleObservation[];
  readonly leases: LeaseInterval[];
  readonly elections: Map<string, { generation: number; election: LeaderElection; cluster?: Cluster }>;
  /** The storage of each node, standing for its disk: it survives crashes. */
  readonly disks: Map<string, ElectionStorage>;
  /** While the scenario runs: what the supervisor restarts a node through. */
  sim: Simulation | undefined;
}

/**
 * How long after a node shut itself down (it downed itself, on the losing side of a partition) its supervisor
 * starts it again, as systemd or Kubernetes would restart a process that exited: Akka's advice for a downed node.
 */
const SUPERVISOR_RESTART_MS = 200;

const SYSTEM = 'sim';

function leaderApp(
  history: History,
  nodes: number,
  settings: Partial<ElectionSettings> | undefined,
  cluster: boolean,
) {
  const voters = Array.from({ length: nodes }, (_, i) => `troupe://${SYSTEM}@node-${i + 1}`);
  return (node: SimNode): void => {
    let disk = history.disks.get(node.name);
    if (!disk) history.disks.set(node.name, (disk = memoryStorage()));
    let open: LeaseInterval | undefined;
    // With a cluster, views can differ (restarted seeds may even form a second cluster): a static quorum of a
    // majority of all the nodes keeps two parts from both electing.
    const membership = cluster
      ? {
          cluster: startCluster(node.node, { seeds: voters.slice(0, 2), settings: ClusterSettings.fast() }),
          minQuorum: Math.floor(nodes / 2) + 1,
        }
      : { voters };
    const election = startLeaderElection(node.node, {
      ...membership,
      storage: disk,
      settings,
      onLease: ({ term, validForMs }) => {
        const now = history.now();
        // The lease is a duration on the node's own clock; laid on shared time from the moment it is granted.
        const until = now + validForMs;
        if (open && open.term === term && open.until >= now) open.until = Math.max(open.until, until);
        else history.leases.push((open = { node: node.name, term, from: now, until }));
      },
    });
    election.subscribe(({ term, role }) => {
      if (node.alive) history.observations.push({ node: node.name, term, role, at: history.now() });
      if (role !== 'leader' && open) {
        open.until = Math.min(open.until, history.now());
        open = undefined;
      }
    });
    if (cluster) {
      // A crash by the nemesis never terminates the system; only the node itself does, when it leaves the cluster.
      void node.node.system.whenTerminated.then(() => {
        if (node.alive && history.sim)
          history.sim.apply({ type: 'crash', node: node.name, restartAfterMs: SUPERVISOR_RESTART_MS });
      });
    }
    history.elections.set(node.name, {
      generation: node.generation,
      election,
      cluster: 'cluster' in membership ? membership.cluster : undefined,
    });
  };
}

/**
 * Runs the `leader` scenario for one seed and checks: never two leaders in one term (`checkOneLeaderPerTerm`);
 * never two nodes holding a valid lease at the same virtual instant; once the nemesis has stopped (everything
 * healed, every node up), all live nodes follow one leader within `electionBoundMs`.
 *
 * @example
 * ```ts
 * const report = await leaderScenario(42);
 * console.log(`${report.leaderships} leaderships, highest term ${report.highestTerm}`);
 * ```
 */
export async function leaderScenario(
  seed: number,
  options: LeaderScenarioOptions = {},
): Promise<LeaderReport> {
  const nodes = options.nodes ?? 5;
  const nemesisMs = options.durationMs ?? 4000;
  const boundMs = options.electionBoundMs ?? 2000;
  const history: History = {
    now: () => 0,
    observations: [],
    leases: [],
    elections: new Map(),
    disks: new Map(),
    sim: undefined,
  };
  return simulate(
    {
      name: options.cluster ? 'leader-cluster' : 'leader',
      seed,
      nodes,
      systemName: SYSTEM,
      durationMs: nemesisMs + boundMs + 500,
      skewMs: options.skewMs ?? 200,
      nemesis: options.nemesis ?? {
        random: {
          endMs: nemesisMs,
          intervalMs: { minMs: 100, maxMs: 800 },
          maxDown: Math.max(1, Math.floor((nodes - 1) / 2)),
          restartAfterMs: { minMs: 50, maxMs: 1500 },
          // Skew actions move a node's clock while it runs; leases assume clocks that only drift (see README).
          weights: { partition: 2, isolate: 2, bridge: 1, heal: 2, faults: 2, 'clear-faults': 1, crash: 3 },
        },
      },
      remoting: { heartbeatIntervalMs: 200, unreachableAfterMs: 1000, reconnect: { minMs: 20, maxMs: 300 } },
      serialization: () => new Serialization(),
      setup: leaderApp(history, nodes, options.settings, options.cluster ?? false),
    },
    async (sim: Simulation) => {
      history.now = () => sim.clock.now();
      history.sim = sim;
      await sim.run(nemesisMs);
      const quietAt = sim.clock.now();
      const agreed = (): boolean => (options.cluster ? agreedInCluster() : agreedByAll());
      // Every live node follows one leader, which leads that term.
      const agreedByAll = (): boolean => {
        const live = sim.nodes.filter((n) => n.alive);
        const views = live.map((n) => {
          const e = history.elections.get(n.name);
          return e && e.generation === n.generation ? e.election.currentLeader() : undefined;
        });
        const first = views[0];
        if (!first || live.length < nodes) return false;
        const leader = live.find((n) => n.address === first.address);
        const le = leader && history.elections.get(leader.name)?.election;
        return (
          views.every((v) => v?.address === first.address && v.term === first.term) &&
          le !== undefined &&
          le.isLeader() &&
          le.term() === first.term
        );
      };
      // With a cluster, the nodes that must follow are the live members up in the leader's view, a majority of all
      // nodes. A node the others removed (downed while cut off) may not know it yet: it is out, by design. So is a
      // node that downed itself (on the losing side of a partition): it has shut its system down, as Akka's does,
      // and stays up in the others' view until they down it after `stableAfterMs`, longer than the bound here.
      const agreedInCluster = (): boolean => {
        for (const n of sim.nodes) {
          const e = history.elections.get(n.name);
          if (!n.alive || !e || e.generation !== n.generation || !e.election.isLeader() || !e.cluster)
            continue;
          const up = e.cluster
            .state()
            .members.filter((m) => m.status === 'up')
            .map((m) => m.address);
          if (up.length <= nodes / 2) continue;
          const term = e.election.term();
          const followers = sim.nodes.filter(
            (m) => m.alive && !m.node.system.isTerminated && up.includes(m.address),
          );
          if (
            followers.length > nodes / 2 &&
            followers.every((m) => {
              const l = history.elections.get(m.name)?.election.currentLeader();
              return l?.address === n.address && l.term === term;
            })
          )
            return true;
        }
        return false;
      };
      const elected = await sim.runUntil(agreed, boundMs);
      const electedAfterQuietMs = sim.clock.now() - quietAt;
      sim.check(elected, `no leader followed by every node within ${boundMs} ms of the end of the nemesis`);
      await sim.run(200);
      // With a cluster, members still coming up (a restarted node rejoining) may join the set that must agree.
      if (!options.cluster)
        sim.check(agreed(), 'the leader elected after the nemesis did not hold for 200 ms');
      history.sim = undefined;
      return checkLeader(sim, history, electedAfterQuietMs);
    },
  );
}

function checkLeader(sim: Simulation, history: History, electedAfterQuietMs: number): LeaderReport {
  const terms = checkOneLeaderPerTerm(history.observations);
  sim.check(terms.ok, terms.ok ? '' : terms.reason, terms);
  // A crashed node holds no lease from the moment it crashed.
  for (const lease of history.leases) {
    const crashed = sim.incarnations
      .filter((n) => n.name === lease.node && n.crashedAt !== undefined && n.crashedAt >= lease.from)
      .map((n) => n.crashedAt!);
    if (crashed.length > 0) lease.until = Math.min(lease.until, ...crashed);
  }
  const overlap = findOverlappingLeases(history.leases);
  sim.check(
    overlap === undefined,
    overlap
      ? `two valid leases at once: ${overlap[0].node} (term ${overlap[0].term}, ${overlap[0].from}-${overlap[0].until}) ` +
          `and ${overlap[1].node} (term ${overlap[1].term}, ${overlap[1].from}-${overlap[1].until})`
      : '',
    overlap,
  );
  const leaders = new Set(
    history.observations.filter((o) => o.role === 'leader').map((o) => `${o.term}/${o.node}`),
  );
  const stats = sim.stats();
  return {
    leaderships: leaders.size,
    highestTerm: Math.max(0, ...history.observations.map((o) => o.term)),
    leases: history.leases.length,
    electedAfterQuietMs,
    steps: stats.steps,
    virtualMs: stats.virtualMs,
    traceHash: sim.traceHash(),
  };
}

/**
 * The first two leases of different nodes that were valid at the same instant (intervals overlapping by more than
 * a point), or undefined when there are none.
 *
 * @example
 * ```ts
 * findOverlappingLeases([
 *   { node: 'a', term: 1, from: 0, until: 100 },
 *   { node: 'b', term: 2, from: 90, until: 190 },
 * ]); // [a's, b's]
 * ```
 */
export function findOverlappingLeases(
  leases: readonly LeaseInterval[],
): [LeaseInterval, LeaseInterval] | undefined {
  const sorted = [...leases].filter((l) => l.until > l.from).sort((a, b) => a.from - b.from);
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length && sorted[j].from < sorted[i].until; j++) {
      if (sorted[i].node !== sorted[j].node) return [sorted[i], sorted[j]];
    }
  }
  return undefined;
}
