import { until } from '@troupe/testkit';
import { freePorts, NodeProcess } from '../cli/NodeProcess';

jest.setTimeout(90_000);

describe('leader election between node processes over WebSocket', () => {
  const processes: NodeProcess[] = [];
  afterEach(async () => {
    // Every child goes, whatever happened in the test.
    await Promise.all(processes.splice(0).map((p) => p.stop()));
  });

  for (const cluster of [false, true]) {
    it(`replaces a leader killed with -9 within 1 s, and the singleton follows (voters: ${cluster ? 'cluster members' : 'static'})`, async () => {
      const ports = await freePorts(3);
      const voters = ports.map((p) => NodeProcess.addressOf(p));
      for (const port of ports) processes.push(new NodeProcess(port, { voters, cluster, probeMs: 50 }));
      const leaderOf = (p: NodeProcess) => (p.last?.role === 'leader' ? p.address : p.last?.leader);
      await until(
        () => {
          const leader = leaderOf(processes[0]);
          return leader !== undefined && processes.every((p) => leaderOf(p) === leader);
        },
        60_000,
        `three processes agreeing on a leader (stderr: ${processes.map((p) => p.errors).join(' | ')})`,
      );
      const victim = processes.find((p) => p.last?.role === 'leader')!;
      const survivors = processes.filter((p) => p !== victim);
      const oldTerm = victim.last!.term!;
      // The singleton runs on the leader and every proxy reaches it.
      await until(
        () =>
          survivors.every((p) => p.lines.some((l) => l.event === 'singleton' && l.node === victim.address)),
        10_000,
        'the singleton answering from the first leader',
      );

      const killedAt = Date.now();
      victim.kill('SIGKILL');
      await victim.exited;
      const electedAt = () =>
        survivors
          .flatMap((p) => p.lines)
          .find((l) => l.t >= killedAt && l.event === 'role' && l.role === 'leader')?.t;
      await until(() => electedAt() !== undefined, 10_000, 'a new leader');
      expect(electedAt()! - killedAt).toBeLessThan(1000);

      const next = survivors.find((p) => p.last?.role === 'leader')!;
      expect(next.last!.term!).toBeGreaterThan(oldTerm);
      await until(
        () => survivors.every((p) => p.last?.leader === next.address),
        5_000,
        'both survivors following the new leader',
      );
      // The singleton runs again on the new leader, and the proxies of both survivors reach it there.
      await until(
        () =>
          survivors.every((p) =>
            p.lines.some((l) => l.t >= killedAt && l.event === 'singleton' && l.node === next.address),
          ),
        10_000,
        'the singleton answering from the new leader',
      );
      const answer = survivors[0].lines.find(
        (l) => l.t >= killedAt && l.event === 'singleton' && l.node === next.address,
      )!;
      expect(answer.token).toBe(next.last!.term);
    });
  }
});
