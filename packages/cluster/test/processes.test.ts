import { ClusterSettings } from '../src';
import { eventually } from './memoryCluster';
import { freePorts, NodeProcess } from './fixtures/nodeProcesses';

jest.setTimeout(60_000);

describe('a cluster of node processes over WebSocket', () => {
  const processes: NodeProcess[] = [];
  afterEach(async () => {
    // Every child goes, whatever happened in the test.
    await Promise.all(processes.splice(0).map((p) => p.stop()));
  });

  it('removes a node killed with -9 on the two others within the detection and downing bound', async () => {
    const ports = await freePorts(3);
    const seeds = ports.slice(0, 2).map((p) => `troupe://cluster@127.0.0.1:${p}`);
    for (const port of ports) processes.push(new NodeProcess(port, seeds));
    const [a, b, victim] = processes;
    await eventually(
      () => processes.every((p) => p.last?.up === 3 && p.last.converged === true),
      30_000,
      `three processes up (stderr: ${processes.map((p) => p.errors).join(' | ')})`,
    );
    expect(new Set(processes.map((p) => p.last?.leader)).size).toBe(1);

    const killedAt = Date.now();
    victim.kill('SIGKILL');
    await victim.exited;
    const removedOn = (p: NodeProcess) =>
      p.lines.find((l) => l.event === 'member-removed' && l.member === victim.address && l.t >= killedAt);
    await eventually(
      () => removedOn(a) !== undefined && removedOn(b) !== undefined,
      15_000,
      'removal on both',
    );

    // Fast settings: phi crosses 8 within the 300 ms pause plus two 100 ms heartbeats, then downing waits for
    // stable-after, then a round trip each for the down and the removal. 1.5 s for detection and 1 s for the
    // round trips leave room for a loaded machine (the benchmark measures the real figures).
    // Downing waits stable-after from the leader's own finding, which is no earlier than the first survivor's;
    // a survivor that found it later (by its own detector or by gossip) sees the removal less than stable-after
    // after its own finding.
    const { stableAfterMs } = ClusterSettings.fast();
    const foundAt = (p: NodeProcess) =>
      p.lines.find((l) => l.event === 'unreachable' && l.member === victim.address)!.t;
    const firstFound = Math.min(foundAt(a), foundAt(b));
    for (const p of [a, b]) {
      expect(foundAt(p) - killedAt).toBeLessThan(1500);
      expect(removedOn(p)!.t - firstFound).toBeGreaterThanOrEqual(stableAfterMs);
      expect(removedOn(p)!.t - killedAt).toBeLessThan(1500 + stableAfterMs + 1000);
    }
    await eventually(
      () => [a, b].every((p) => p.last?.members === 2 && p.last.converged === true),
      5000,
      'two converged',
    );
  });
});
