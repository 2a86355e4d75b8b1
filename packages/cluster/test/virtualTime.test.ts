import { createSeededRandom, SimulatedClock } from '@troupe/core';
import { createNode, type RemoteNode } from '@troupe/remote';
import { MemoryNetwork } from '@troupe/transport-memory';
import { type Cluster, type ClusterEvent, ClusterSettings, startCluster } from '../src';

jest.setTimeout(60_000);

interface Crash {
  readonly settings: ClusterSettings;
  /** Per survivor: when it found the crashed node unreachable, and when it removed it, after the crash. */
  readonly survivors: { readonly name: string; readonly unreachable: number; readonly removed: number }[];
}

/**
 * `count` nodes on one SimulatedClock (network, remoting and cluster alike), which moves 10 ms at a time and
 * lets every message due meanwhile be delivered. Once all are up and the detectors have learnt the heartbeat
 * interval, the last node crashes; returns when each survivor found it unreachable and removed it.
 */
async function crashOneOf(
  count: number,
  settings: ClusterSettings,
  warmMs: number,
  stalls?: { readonly everyMs: number; readonly forMs: number },
): Promise<Crash> {
  const clock = new SimulatedClock(1_000_000);
  const net = new MemoryNetwork({ clock, seed: 7 });
  const names = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const seeds = ['troupe://v@n1', 'troupe://v@n2'];
  const events = new Map<string, { at: number; e: ClusterEvent }[]>();
  const clusters: Cluster[] = [];
  const nodes: RemoteNode[] = [];
  try {
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
        (c) => c.state().converged && c.state().members.filter((m) => m.status === 'up').length === count,
      );
    const started = clock.now();
    while (!allUp()) {
      await run(100);
      if (clock.now() - started > 60_000) throw new Error('no convergence in 60 virtual seconds');
    }
    if (stalls === undefined) await run(warmMs);
    else
      for (let t = 0; t < warmMs; t += stalls.everyMs + stalls.forMs) {
        await run(stalls.everyMs);
        // Every node stalls at once (a GC pause, an overloaded machine): timers come due meanwhile, but nothing
        // runs until the time has passed.
        clock.advance(stalls.forMs);
      }
    await run(1000);
    expect(allUp()).toBe(true);

    const victim = names[count - 1];
    const crashedAt = clock.now();
    net.crash(victim);
    await run(settings.stableAfterMs + 10 * settings.acceptableHeartbeatPauseMs);
    const survivors = names.slice(0, -1).map((name) => {
      const at = (type: string) => {
        const found = events
          .get(name)!
          .find(
            ({ e, at }) =>
              at >= crashedAt &&
              e.type === type &&
              'member' in e &&
              e.member.address === `troupe://v@${victim}`,
          );
        return found === undefined ? Infinity : found.at - crashedAt;
      };
      return { name, unreachable: at('unreachable'), removed: at('member-removed') };
    });
    if (process.env.CLUSTER_REPORT) console.log(JSON.stringify(survivors));
    return { settings, survivors };
  } finally {
    await Promise.all(nodes.map((n) => n.shutdown()));
    net.shutdown();
  }
}

describe('the cluster on virtual time', () => {
  it('with default settings, finds a crashed node unreachable within the acceptable pause plus two heartbeats, and removes it after stable-after', async () => {
    // A minute of heartbeats, so that the detectors learn the interval.
    const { settings, survivors } = await crashOneOf(5, ClusterSettings.defaults(), 60_000);
    for (const s of survivors) {
      // Found within pause + 2 heartbeats of the crash, as the detector's bound promises...
      expect(s.unreachable).toBeLessThanOrEqual(
        settings.acceptableHeartbeatPauseMs + 2 * settings.heartbeatIntervalMs,
      );
      // ...and removed once the view has been stable for stable-after (plus a few gossip rounds).
      expect(s.removed - s.unreachable).toBeGreaterThanOrEqual(settings.stableAfterMs - 1000);
      expect(s.removed).toBeLessThan(settings.stableAfterMs + 8000);
    }
  });

  it('with fast settings in a cluster of eight, tells the survivors that do not monitor a crashed node as soon as the first detector finds it, and removes it once stable-after has passed', async () => {
    // Eight nodes, each monitored by five: two survivors do not monitor the victim and learn of it from others.
    const { settings, survivors } = await crashOneOf(8, ClusterSettings.fast(), 10_000);
    const first = Math.min(...survivors.map((s) => s.unreachable));
    for (const s of survivors) {
      expect(s.unreachable).toBeLessThanOrEqual(
        settings.acceptableHeartbeatPauseMs + 2 * settings.heartbeatIntervalMs,
      );
      // Pushed to everyone at once, not left to gossip rounds (a step of this simulation is 10 ms).
      expect(s.unreachable - first).toBeLessThanOrEqual(20);
      // Downing waits for stable-after exactly, then down and removal each take one round trip.
      expect(s.removed - s.unreachable).toBeGreaterThanOrEqual(settings.stableAfterMs);
      expect(s.removed - first).toBeLessThanOrEqual(settings.stableAfterMs + settings.gossipIntervalMs);
    }
  });

  it('with fast settings, finds a crash as fast after every node went through stalls long enough to be suspected', async () => {
    // After a stall a node sends one heartbeat, not a burst of the ones it missed: their answers would arrive
    // together and teach the detectors near-zero intervals, inflating the deviation that phi divides by.
    const { settings, survivors } = await crashOneOf(5, ClusterSettings.fast(), 10_000, {
      everyMs: 2000,
      forMs: 400,
    });
    for (const s of survivors)
      expect(s.unreachable).toBeLessThanOrEqual(
        settings.acceptableHeartbeatPauseMs + 2 * settings.heartbeatIntervalMs,
      );
  });
});
