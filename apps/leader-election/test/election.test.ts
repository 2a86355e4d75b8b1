import { simulate } from '@troupe/testkit';
import {
  type LeaderChange,
  startLeaderElection,
  InvalidVotersError,
  InvalidElectionSettingsError,
} from '../src';
import { agreedLeader, deploy, liveElections, testSerialization, voters } from './apps';

const nameOf = (address: string) => address.split('@')[1];

jest.setTimeout(60_000);

describe('a leader election on a quiet network', () => {
  it('elects one leader that every node follows, and hands it the term as fencing token', async () => {
    const { deployment, setup } = deploy(3);
    await simulate({ seed: 1, nodes: 3, setup, serialization: testSerialization }, async (sim) => {
      expect(await sim.runUntil(() => agreedLeader(sim, deployment) !== undefined, 1000)).toBe(true);
      const elections = liveElections(sim, deployment);
      const leaders = elections.filter((e) => e.isLeader());
      expect(leaders).toHaveLength(1);
      const [leader] = leaders;
      expect(leader.role()).toBe('leader');
      expect(leader.fencingToken()).toBe(leader.term());
      expect(leader.term()).toBeGreaterThanOrEqual(1);
      for (const e of elections.filter((x) => x !== leader)) {
        expect(e.role()).toBe('follower');
        expect(e.fencingToken()).toBeUndefined();
        expect(e.currentLeader()).toEqual({ address: leader.address, term: leader.term() });
      }
      // A lease needs a round acknowledged by a majority: it comes with the first heartbeats.
      await sim.run(100);
      expect(leader.hasLease()).toBe(true);
      expect(elections.filter((e) => e.hasLease())).toEqual([leader]);
    });
  });

  it('keeps the same leader and term for as long as nothing goes wrong', async () => {
    const { deployment, setup } = deploy(5);
    await simulate({ seed: 2, nodes: 5, setup, serialization: testSerialization }, async (sim) => {
      await sim.runUntil(() => agreedLeader(sim, deployment) !== undefined, 1000);
      const leader = agreedLeader(sim, deployment)!;
      const term = deployment.elections.get(nameOf(leader))!.term();
      await sim.run(5000);
      expect(agreedLeader(sim, deployment)).toBe(leader);
      expect(deployment.elections.get(nameOf(leader))!.term()).toBe(term);
    });
  });

  it('tells subscribers the current state at once, then every change of leader, term or role', async () => {
    const { deployment, setup } = deploy(3);
    await simulate({ seed: 3, nodes: 3, setup, serialization: testSerialization }, async (sim) => {
      const changes: LeaderChange[] = [];
      deployment.elections.get('node-1')!.subscribe((c) => changes.push(c));
      expect(changes).toEqual([{ term: 0, role: 'follower' }]);
      await sim.runUntil(() => agreedLeader(sim, deployment) !== undefined, 1000);
      const leader = agreedLeader(sim, deployment)!;
      const last = changes[changes.length - 1];
      expect(last.leader).toBe(leader);
      expect(last.role).toBe(leader === 'troupe://sim@node-1' ? 'leader' : 'follower');
    });
  });

  it('elects a new leader in a higher term when the leader crashes', async () => {
    const { deployment, setup } = deploy(3);
    await simulate({ seed: 4, nodes: 3, setup, serialization: testSerialization }, async (sim) => {
      await sim.runUntil(() => agreedLeader(sim, deployment) !== undefined, 1000);
      const old = agreedLeader(sim, deployment)!;
      const oldTerm = deployment.elections.get(nameOf(old))!.term();
      sim.apply({ type: 'crash', node: nameOf(old), restartAfterMs: null });
      const crashedAt = sim.clock.now();
      expect(await sim.runUntil(() => agreedLeader(sim, deployment) !== undefined, 2000)).toBe(true);
      const next = agreedLeader(sim, deployment)!;
      expect(next).not.toBe(old);
      expect(deployment.elections.get(nameOf(next))!.term()).toBeGreaterThan(oldTerm);
      // One election timeout at most (300 ms), then a pre-vote and a vote round trip.
      expect(sim.clock.now() - crashedAt).toBeLessThan(400);
    });
  });

  it('lets a leader cut off from the majority step down, and the majority elect another', async () => {
    const { deployment, setup } = deploy(5);
    await simulate({ seed: 5, nodes: 5, setup, serialization: testSerialization }, async (sim) => {
      await sim.runUntil(() => agreedLeader(sim, deployment) !== undefined, 1000);
      const old = agreedLeader(sim, deployment)!;
      const isolated = deployment.elections.get(nameOf(old))!;
      const oldTerm = isolated.term();
      sim.apply({ type: 'isolate', node: nameOf(old) });
      // check-quorum: no acknowledgement from a majority within 150 ms (and leading for at least that long), seen
      // at a heartbeat tick: within 150 + 150 + 50 ms of the cut.
      await sim.run(400);
      expect(isolated.isLeader()).toBe(false);
      expect(isolated.hasLease()).toBe(false);
      const others = liveElections(sim, deployment).filter((e) => e !== isolated);
      await sim.runUntil(() => others.some((e) => e.isLeader()), 1000);
      const next = others.find((e) => e.isLeader())!;
      expect(next.term()).toBeGreaterThan(oldTerm);
      expect(others.every((e) => e.currentLeader()?.address === next.address)).toBe(true);
    });
  });

  it('does not let a node cut off from the rest inflate its term (pre-vote)', async () => {
    const { deployment, setup } = deploy(3);
    await simulate({ seed: 6, nodes: 3, setup, serialization: testSerialization }, async (sim) => {
      await sim.runUntil(() => agreedLeader(sim, deployment) !== undefined, 1000);
      const leader = agreedLeader(sim, deployment)!;
      const follower = liveElections(sim, deployment).find((e) => e.address !== leader)!;
      const term = follower.term();
      sim.apply({ type: 'isolate', node: nameOf(follower.address) });
      await sim.run(3000);
      expect(follower.term()).toBe(term);
      expect(follower.isLeader()).toBe(false);
      sim.apply({ type: 'heal' });
      await sim.run(1000);
      // The leader was never disturbed: same leader, same term.
      expect(agreedLeader(sim, deployment)).toBe(leader);
      expect(deployment.elections.get(nameOf(leader))!.term()).toBe(term);
    });
  });

  it('runs alone as a one-voter cluster', async () => {
    const { deployment, setup } = deploy(1);
    await simulate({ seed: 7, nodes: 1, setup, serialization: testSerialization }, async (sim) => {
      await sim.run(400);
      const e = deployment.elections.get('node-1')!;
      expect(e.isLeader()).toBe(true);
      expect(e.hasLease()).toBe(true);
    });
  });

  it('stops: the election actor is gone and the node no longer leads', async () => {
    const { deployment, setup } = deploy(1);
    await simulate({ seed: 8, nodes: 1, setup, serialization: testSerialization }, async (sim) => {
      await sim.run(400);
      const e = deployment.elections.get('node-1')!;
      await sim.waitFor(e.stop(), 1000);
      expect(sim.node('node-1').system.lookup('/user/leader-election')).toBeUndefined();
    });
  });
});

describe('the options of startLeaderElection', () => {
  it('refuses bad voters and bad settings with typed errors', async () => {
    await simulate({ seed: 9, nodes: 1, setup: () => undefined, serialization: testSerialization }, (sim) => {
      const node = sim.node('node-1').node;
      const voterError = (voters: unknown) => {
        try {
          startLeaderElection(node, { voters: voters as string[] });
        } catch (e) {
          return e;
        }
      };
      for (const bad of [undefined, [], ['not-an-address'], [42]]) {
        expect(voterError(bad)).toBeInstanceOf(InvalidVotersError);
        expect(voterError(bad)).toMatchObject({ code: 'LEADER_ERR_INVALID_VOTERS' });
      }
      const settingsError = (settings: object) => {
        try {
          startLeaderElection(node, { voters: voters(1), settings });
        } catch (e) {
          return e;
        }
      };
      for (const bad of [
        { electionTimeoutMinMs: 0 },
        { electionTimeoutMinMs: 300, electionTimeoutMaxMs: 200 },
        { heartbeatMs: 200 },
        { leaseMs: 150 },
        { preVote: 'yes' },
        { checkQuorumMs: Number.NaN },
      ]) {
        expect(settingsError(bad)).toBeInstanceOf(InvalidElectionSettingsError);
        expect(settingsError(bad)).toMatchObject({ code: 'LEADER_ERR_INVALID_SETTINGS' });
      }
    });
  });
});
