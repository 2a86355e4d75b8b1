import { createSeededRandom, SimulatedClock } from '@troupe/core';
import { createNode, type RemoteNode } from '@troupe/remote';
import { MemoryNetwork } from '@troupe/transport-memory';
import { type Cluster, type ClusterEvent, ClusterSettings, startCluster } from '../src';

jest.setTimeout(30_000);

/**
 * Akka's production timings, on virtual time: the network, remoting and the cluster all run on one
 * SimulatedClock, which the test moves 10 ms at a time, letting every message due meanwhile be delivered.
 */
describe('the cluster on virtual time, with default settings', () => {
  it('finds a crashed node unreachable within the acceptable pause plus two heartbeats, and removes it after stable-after', async () => {
    const clock = new SimulatedClock(1_000_000);
    const net = new MemoryNetwork({ clock, seed: 7 });
    const settings = ClusterSettings.defaults();
    const names = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const seeds = ['troupe://v@n1', 'troupe://v@n2'];
    const events = new Map<string, { at: number; e: ClusterEvent }[]>();
    const clusters: Cluster[] = [];
    const nodes: RemoteNode[] = [];
    for (const [i, name] of names.entries()) {
      const node = await createNode({
        name: 'v',
        transport: net.transport({ address: name }),
        clock,
        random: createSeededRandom(i + 1),
        logLevel: 'off',
        incarnation: `${name}-1`,
        unreachableAfterMs: 600_000,
      });
      nodes.push(node);
      const cluster = startCluster(node, { seeds, settings });
      const log: { at: number; e: ClusterEvent }[] = [];
      cluster.subscribe((e) => log.push({ at: clock.now(), e }));
      events.set(name, log);
      clusters.push(cluster);
    }
    const run = async (ms: number) => {
      const until = clock.now() + ms;
      while (clock.now() < until) {
        clock.advance(10);
        for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
      }
    };
    const allUp = () =>
      clusters.every(
        (c) => c.state().converged && c.state().members.filter((m) => m.status === 'up').length === 5,
      );
    const started = clock.now();
    while (!allUp()) {
      await run(100);
      if (clock.now() - started > 60_000) throw new Error('no convergence in 60 virtual seconds');
    }
    // A minute of heartbeats, so that the detectors learn the interval.
    await run(60_000);
    expect(allUp()).toBe(true);

    const crashedAt = clock.now();
    net.crash('n5');
    await run(30_000);
    for (const name of names.slice(0, 4)) {
      const log = events.get(name)!;
      const about = (type: string) =>
        log.find(({ e }) => e.type === type && 'member' in e && e.member.address === 'troupe://v@n5');
      const unreachable = about('unreachable');
      const removed = about('member-removed');
      expect(unreachable).toBeDefined();
      // Found within pause + 2 heartbeats of the crash, as the detector's bound promises...
      expect(unreachable!.at - crashedAt).toBeLessThanOrEqual(
        settings.acceptableHeartbeatPauseMs + 2 * settings.heartbeatIntervalMs,
      );
      // ...and removed once the view has been stable for stable-after (plus a few gossip rounds).
      expect(removed!.at - unreachable!.at).toBeGreaterThanOrEqual(settings.stableAfterMs - 1000);
      expect(removed!.at - crashedAt).toBeLessThan(settings.stableAfterMs + 8000);
    }
    if (process.env.CLUSTER_REPORT)
      console.log(
        names.slice(0, 4).map((n) => {
          const log = events.get(n)!;
          const at = (type: string) =>
            log.find(({ e }) => e.type === type && 'member' in e && e.member.address === 'troupe://v@n5')!
              .at - crashedAt;
          return `${n}: unreachable +${at('unreachable')} ms, removed +${at('member-removed')} ms`;
        }),
      );
    await Promise.all(nodes.map((n) => n.shutdown()));
    net.shutdown();
  });
});
