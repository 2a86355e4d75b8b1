import { type ActorRef, ask } from '@troupe/core';
import { type NemesisSchedule, simulate } from '../../src/simulation';
import {
  appSerialization,
  counterApp,
  type Echo,
  type Echoed,
  newCounts,
  quickRemoting,
  total,
} from './apps';

describe('nemesis', () => {
  it('drops the traffic across a partition, and delivers again once the partition heals', async () => {
    const counts = newCounts();
    await simulate(
      {
        seed: 1,
        nodes: 2,
        setup: counterApp(counts),
        serialization: appSerialization,
        remoting: quickRemoting,
      },
      async (sim) => {
        await sim.run(1000);
        const healthy = total(counts.received, 'node-2/');
        expect(healthy).toBeGreaterThan(80); // node-1 tells every 10 ms

        sim.apply({ type: 'partition', sides: [['node-1'], ['node-2']] });
        const cutAt = sim.clock.now();
        await sim.run(20); // what was already on its way is lost too
        const atCut = total(counts.received, 'node-2/');
        await sim.run(1500);
        expect(total(counts.received, 'node-2/')).toBe(atCut);
        const drops = sim.trace.filter((r) => r.kind === 'drop' && r.at >= cutAt);
        expect(drops.length).toBeGreaterThan(10);
        // Heartbeats went unanswered: each side declared the other unreachable.
        expect(
          sim.trace.some((r) => r.kind === 'remote' && String(r.detail).includes('peer-unreachable')),
        ).toBe(true);

        sim.apply({ type: 'heal' });
        const healed = await sim.runUntil(() => total(counts.received, 'node-2/') > atCut + 50, 2000);
        expect(healed).toBe(true);
      },
    );
  });

  it('crashes a node and restarts it with a new incarnation: its timers die with it, and setup runs again', async () => {
    const counts = newCounts();
    await simulate(
      {
        seed: 2,
        nodes: 3,
        setup: counterApp(counts),
        serialization: appSerialization,
        remoting: quickRemoting,
      },
      async (sim) => {
        await sim.run(500);
        const old = sim.node('node-2');
        expect(old.generation).toBe(0);
        const ticksBefore = counts.ticks.get('node-2/0')!;
        expect(ticksBefore).toBe(10); // a 50 ms timer, for 500 ms

        sim.apply({ type: 'crash', node: 'node-2', restartAfterMs: 300 });
        const crashedAt = sim.clock.now();
        expect(old.alive).toBe(false);
        expect(old.crashedAt).toBe(crashedAt);
        expect(sim.node('node-2')).toBe(old); // down until it restarts

        expect(await sim.runUntil(() => sim.node('node-2').generation === 1, 1000)).toBe(true);
        const fresh = sim.node('node-2');
        expect(sim.clock.now()).toBe(crashedAt + 300);
        expect(fresh.alive).toBe(true);
        expect(fresh.startedAt).toBe(crashedAt + 300);
        expect(fresh.incarnation).not.toBe(old.incarnation);
        expect(fresh.address).toBe(old.address);
        expect(counts.setups.get('node-2')).toBe(2);
        expect(counts.setups.get('node-1')).toBe(1);
        expect(sim.incarnations.map((n) => `${n.name}#${n.generation}`)).toEqual([
          'node-1#0',
          'node-2#0',
          'node-3#0',
          'node-2#1',
        ]);

        await sim.run(1000);
        expect(counts.ticks.get('node-2/0')).toBe(ticksBefore); // the dead incarnation's timers never fired again
        expect(counts.ticks.get('node-2/1')).toBeGreaterThanOrEqual(19);

        // The address now reaches the new incarnation, and only it.
        const echo = sim.node('node-1').node.refFor<Echo>('troupe://sim@node-2/user/echo');
        const reply = await sim.waitFor(
          ask(echo, (replyTo: ActorRef<Echoed>): Echo => ({ type: 'test/echo', text: 'hi', replyTo }), {
            timeoutMs: 1000,
          }),
        );
        expect(reply).toEqual({
          type: 'test/echoed',
          text: 'hi',
          node: 'node-2',
          incarnation: fresh.incarnation,
        });

        const lifecycle = sim.trace.filter((r) => r.kind === 'node-crash' || r.kind === 'node-restart');
        expect(lifecycle).toEqual([
          { at: crashedAt, kind: 'node-crash', detail: `node-2 ${old.incarnation}` },
          { at: crashedAt + 300, kind: 'node-restart', detail: `node-2 ${fresh.incarnation}` },
        ]);
      },
    );
  });

  it('applies a hand-written nemesis schedule at its virtual times, in order', async () => {
    const schedule: NemesisSchedule = [
      { at: 100, action: { type: 'partition', sides: [['node-1'], ['node-2', 'node-3']] } },
      { at: 250, action: { type: 'heal' } },
      { at: 400, action: { type: 'faults', dropRate: 0.5, delay: { minMs: 5, maxMs: 10 } } },
      { at: 400, action: { type: 'skew', node: 'node-1', offsetMs: 300 } },
      { at: 650, action: { type: 'crash', node: 'node-3', restartAfterMs: null } },
      { at: 700, action: { type: 'isolate', node: 'node-2' } },
      { at: 800, action: { type: 'clear-faults' } },
      { at: 900, action: { type: 'restart', node: 'node-3' } },
      { at: 950, action: { type: 'bridge', node: 'node-2' } },
    ];
    const counts = newCounts();
    await simulate(
      {
        seed: 3,
        nodes: 3,
        setup: counterApp(counts),
        serialization: appSerialization,
        nemesis: schedule,
        remoting: quickRemoting,
      },
      async (sim) => {
        await sim.run(399);
        expect(sim.node('node-1').clock.now()).toBe(sim.clock.now()); // no skew yet
        await sim.run(1);
        expect(sim.node('node-1').clock.now()).toBe(sim.clock.now() + 300);
        await sim.run(600);
        const applied = sim.trace.filter((r) => r.kind === 'nemesis').map((r) => [r.at, r.detail]);
        expect(applied).toEqual([
          [100, 'partition [node-1] | [node-2,node-3]'],
          [250, 'heal'],
          [400, 'faults drop=0.5 delay=5-10ms'],
          [400, 'skew node-1 300 ms'],
          [650, 'crash node-3 (stays down)'],
          [700, 'isolate node-2'],
          [800, 'clear-faults'],
          [900, 'restart node-3'],
          [950, expect.stringMatching(/^bridge via node-2: \[node-(1|3)\] \| \[node-(1|3)\]$/)],
        ]);
        expect(sim.node('node-3').generation).toBe(1);
        expect(sim.node('node-3').startedAt).toBe(900);
        // 50 ms ticks until the crash at 650; the tick due at 650 itself races the crash, as in a real process.
        expect([12, 13]).toContain(counts.ticks.get('node-3/0'));
        // While partitioned (100-250), nothing reached node-2 from node-1.
        const deliveries = sim.trace.filter(
          (r) =>
            r.kind === 'deliver' && String(r.detail).startsWith('node-1>node-2') && r.at > 101 && r.at < 250,
        );
        expect(deliveries).toEqual([]);
      },
    );
  });

  it('gives every node its own skewed view of the one shared clock, within skewMs', async () => {
    await simulate(
      { seed: 4, nodes: 5, skewMs: 50, setup: () => undefined, serialization: appSerialization },
      async (sim) => {
        const skews = sim.nodes.map((n) => n.clock.now() - sim.clock.now());
        for (const skew of skews) expect(Math.abs(skew)).toBeLessThanOrEqual(50);
        expect(new Set(skews).size).toBeGreaterThan(1);
        await sim.run(1234);
        expect(sim.nodes.map((n) => n.clock.now() - sim.clock.now())).toEqual(skews);
        expect(sim.clock.now()).toBe(1234);
      },
    );
  });

  it("steps a node's wall clock with a skew, never its monotonic clock", async () => {
    await simulate(
      { seed: 4, nodes: 2, skewMs: 50, setup: () => undefined, serialization: appSerialization },
      async (sim) => {
        const node = sim.nodes[0];
        await sim.run(100);
        const [wall, mono] = [node.clock.now(), node.clock.monotonic()];
        sim.apply({ type: 'skew', node: node.name, offsetMs: -5000 });
        await sim.run(10);
        expect(node.clock.now() - wall).toBeLessThan(-4000);
        expect(node.clock.monotonic() - mono).toBe(10);
      },
    );
  });
});
