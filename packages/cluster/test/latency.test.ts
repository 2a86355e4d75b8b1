import { type ClusterSettings as Settings, ClusterSettings, PhiAccrualFailureDetector } from '../src';
import { VirtualCluster } from './virtualCluster';

jest.setTimeout(120_000);

const names = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);

/** Ten nodes (three of them seeds) started at the same virtual instant; the time until all see all ten up. */
async function convergence(settings: Settings, latencyMs: number): Promise<number> {
  const vc = new VirtualCluster(settings, { latencyMs });
  try {
    await vc.start(names(10), ['n1', 'n2', 'n3']);
    return await vc.runUntil(() => vc.allUp(10), 60_000, 'ten nodes up');
  } finally {
    await vc.shutdown();
  }
}

/**
 * Three nodes that have been up for a while (so the detectors learnt the heartbeat interval); `n3` crashes
 * `phaseMs` after a moment the heartbeats are due. Returns how long after the crash n1 and n2 found it unreachable.
 */
async function detection(settings: Settings, phaseMs: number): Promise<number[]> {
  const vc = new VirtualCluster(settings);
  try {
    const [n1, n2] = await vc.start(names(3), ['n1', 'n2']);
    await vc.runUntil(() => vc.allUp(3), 60_000, 'three nodes up');
    await vc.run(50 * settings.heartbeatIntervalMs + phaseMs);
    const crashedAt = vc.clock.now();
    vc.net.crash('n3');
    await vc.runUntil(
      () => [n1, n2].every((m) => vc.eventAt(m, 'unreachable', 'n3', crashedAt) !== undefined),
      10 * settings.acceptableHeartbeatPauseMs,
      'n3 found unreachable',
    );
    return [n1, n2].map((m) => vc.eventAt(m, 'unreachable', 'n3', crashedAt)! - crashedAt);
  } finally {
    await vc.shutdown();
  }
}

/** When phi crosses the threshold after the last of regular heartbeats, as the detector computes it. */
function crossingAfterLastHeartbeat(settings: Settings): number {
  const fd = new PhiAccrualFailureDetector({
    threshold: settings.phiThreshold,
    maxSampleSize: settings.maxSampleSize,
    minStdDeviationMs: settings.minStdDeviationMs,
    acceptableHeartbeatPauseMs: settings.acceptableHeartbeatPauseMs,
    firstHeartbeatEstimateMs: settings.heartbeatIntervalMs,
  });
  let t = 0;
  for (let i = 0; i < 50; i++, t += settings.heartbeatIntervalMs) fd.heartbeat(t);
  return fd.unavailableAt() - (t - settings.heartbeatIntervalMs);
}

describe('the cluster on virtual time, counted in network hops and timer periods', () => {
  // A one-way hop of 3 ms: the figures below are then a count of hops, far from any timer period.
  const HOP_MS = 3;

  it('converges ten nodes started together within ten network hops with fast settings: no gossip round, join retry or leader tick in the way', async () => {
    const settings = ClusterSettings.fast();
    const ms = await convergence(settings, HOP_MS);
    // Form (InitJoin, nack), join (ack, Join, Welcome), the leader's votes (push, answer), the move to up (push,
    // answer) and the leader's announcement of convergence: ten hops, where one gossip interval is 33 hops.
    expect(ms).toBeLessThanOrEqual(10 * HOP_MS);
    expect(ms).toBeLessThan(settings.gossipIntervalMs);
  });

  it('converges ten nodes as fast with the default settings, whose timers are ten times slower', async () => {
    const ms = await convergence(ClusterSettings.defaults(), HOP_MS);
    expect(ms).toBeLessThanOrEqual(10 * HOP_MS);
  });

  it('lets a node that a seed turned away, before that seed was a member, join as soon as it is one, not at its next retry', async () => {
    // n2 asks n1 before n1 has formed the cluster (n1 waits for n2's own answer): turned away. Its next retry
    // would come a minute later.
    const vc = new VirtualCluster(ClusterSettings.fast({ joinRetryIntervalMs: 60_000 }), {
      latencyMs: HOP_MS,
    });
    try {
      await vc.start(['n1', 'n2'], ['n1', 'n2']);
      const ms = await vc.runUntil(() => vc.allUp(2), 120_000, 'two nodes up');
      expect(ms).toBeLessThanOrEqual(10 * HOP_MS);
    } finally {
      await vc.shutdown();
    }
  });

  it('with fast settings, finds a crashed node when phi crosses the threshold, whatever the phase of the crash, not at a later periodic check', async () => {
    const settings = ClusterSettings.fast();
    // mean interval + acceptable pause + 5.2 floors of the standard deviation: about 452 ms after the last answer.
    const bound = crossingAfterLastHeartbeat(settings);
    const found: number[] = [];
    for (let phase = 0; phase < settings.heartbeatIntervalMs; phase += 20)
      found.push(...(await detection(settings, phase)));
    // The last answer came at most a heartbeat interval before the crash, and at most a millisecond is lost
    // to rounding; a periodic check would add up to its period on top.
    for (const ms of found) expect(ms).toBeLessThanOrEqual(Math.ceil(bound));
    expect(Math.max(...found)).toBeLessThanOrEqual(
      settings.acceptableHeartbeatPauseMs + 2 * settings.heartbeatIntervalMs,
    );
    // Crashes right after an answer take the whole bound; crashes right before the next take an interval less.
    expect(Math.max(...found) - Math.min(...found)).toBeGreaterThanOrEqual(settings.heartbeatIntervalMs - 20);
  });

  it('with the default settings, finds a crashed node when phi crosses the threshold, not up to a reaper period later', async () => {
    const settings = ClusterSettings.defaults();
    const bound = crossingAfterLastHeartbeat(settings);
    for (const phase of [0, 500]) {
      for (const ms of await detection(settings, phase)) expect(ms).toBeLessThanOrEqual(Math.ceil(bound));
    }
  });

  it('with fast settings, finds a crash as fast when a monitor first heard from the node in a burst of queued answers, as behind a connection being set up', async () => {
    const settings = ClusterSettings.fast();
    const vc = new VirtualCluster(settings);
    try {
      // n3's messages to n2 are held back until `until`, then arrive together, in order (as on one TCP
      // connection that took that long to set up). n3 joins through n1; n2's heartbeats reach n3 at once, but
      // their answers come back in a burst.
      const until = vc.clock.now() + 600;
      vc.net.setLinkFaults('n3', 'n2', { delay: () => Math.max(0, until - vc.clock.now()) });
      const [n1, n2] = await vc.start(names(3), ['n1', 'n2']);
      await vc.runUntil(() => vc.allUp(3), 60_000, 'three nodes up');
      await vc.run(until + 3000 - vc.clock.now());
      const crashedAt = vc.clock.now();
      vc.net.crash('n3');
      // Each survivor on its own: n1's finding must not reach n2 before n2's own detector.
      vc.net.partition(['n1'], ['n2']);
      await vc.runUntil(
        () => [n1, n2].every((m) => vc.eventAt(m, 'unreachable', 'n3', crashedAt) !== undefined),
        10_000,
        'n3 found unreachable',
      );
      const [clean, burst] = [n1, n2].map((m) => vc.eventAt(m, 'unreachable', 'n3', crashedAt)! - crashedAt);
      expect(burst).toBeLessThanOrEqual(Math.ceil(crossingAfterLastHeartbeat(settings)));
      expect(Math.abs(burst - clean)).toBeLessThanOrEqual(settings.heartbeatIntervalMs);
      // Nobody was suspected meanwhile: the wait for a first answer covers the burst's delay.
      expect(
        vc.members.flatMap((m) => m.events.filter(({ at, e }) => at < crashedAt && e.type === 'unreachable')),
      ).toEqual([]);
    } finally {
      await vc.shutdown();
    }
  });

  it('tells every member when a node downs itself, also those others find unreachable: a member cut off from the rest learns of it at once', async () => {
    const vc = new VirtualCluster(ClusterSettings.fast(), { latencyMs: HOP_MS });
    const cut = (from: string, to: string) => vc.net.setLinkFaults(from, to, { dropRate: 1 });
    try {
      // n1, n2 and n3 would wait 20 s before downing anyone; n4 decides after the usual 2 s.
      const patient = ClusterSettings.fast({ stableAfterMs: 20_000 });
      const [, n2] = await vc.start(['n1', 'n2', 'n3'], ['n1', 'n2'], patient);
      const [n4] = await vc.start(['n4'], ['n1', 'n2']);
      await vc.runUntil(() => vc.allUp(4), 60_000, 'four nodes up');
      // n2 is cut off from n1 and n3, both ways; n4 hears of it from them.
      const cutAt = vc.clock.now();
      for (const other of ['n1', 'n3']) {
        cut('n2', other);
        cut(other, 'n2');
      }
      await vc.run(2_000);
      // Then n4 hears from nobody, so it finds everyone unreachable and, alone, downs itself. What it sends still
      // arrives, as right after a partition heals.
      for (const other of ['n1', 'n2', 'n3']) cut(other, 'n4');
      await vc.runUntil(() => n4.node.system.isTerminated, 10_000, 'n4 downs itself');
      expect(vc.eventAt(n4, 'member-downed', 'n4', cutAt)).toBeDefined();
      // Nobody else can tell n2: only n4's own word reaches it.
      await vc.runUntil(
        () => vc.eventAt(n2, 'member-downed', 'n4', cutAt) !== undefined,
        20 * HOP_MS,
        'n2 learns that n4 is down',
      );
    } finally {
      await vc.shutdown();
    }
  });

  it('with fast settings, suspects nobody while ten nodes start over a network where a first answer takes 700 ms, as a new connection on a loaded machine may', async () => {
    const vc = new VirtualCluster(ClusterSettings.fast(), { latencyMs: 350 });
    try {
      await vc.start(names(10), ['n1', 'n2', 'n3']);
      await vc.runUntil(() => vc.allUp(10), 60_000, 'ten nodes up');
      await vc.run(3000);
      const suspicions = vc.members.flatMap((m) => m.events.filter(({ e }) => e.type === 'unreachable'));
      expect(suspicions).toEqual([]);
    } finally {
      await vc.shutdown();
    }
  });
});
