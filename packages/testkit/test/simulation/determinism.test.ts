import { createSeededRandom } from '@troupe/core';
import { type NemesisSchedule, pingScenario, randomNemesis, simulate } from '../../src/simulation';
import { appSerialization, counterApp, newCounts } from './apps';

/** Every kind of trouble, so that determinism is shown where it is hardest to keep. */
const everything: NemesisSchedule = [
  {
    at: 400,
    action: {
      type: 'partition',
      sides: [
        ['node-1', 'node-2'],
        ['node-3', 'node-4', 'node-5'],
      ],
    },
  },
  { at: 900, action: { type: 'heal' } },
  {
    at: 1000,
    action: {
      type: 'faults',
      dropRate: 0.1,
      duplicateRate: 0.1,
      reorderRate: 0.05,
      delay: { minMs: 0, maxMs: 20 },
    },
  },
  { at: 1500, action: { type: 'crash', node: 'node-3', restartAfterMs: 400 } },
  { at: 1700, action: { type: 'skew', node: 'node-1', offsetMs: 250 } },
  { at: 2100, action: { type: 'bridge', node: 'node-5' } },
  { at: 2600, action: { type: 'isolate', node: 'node-2' } },
  { at: 2900, action: { type: 'crash' } },
  { at: 3200, action: { type: 'heal' } },
  { at: 3300, action: { type: 'clear-faults' } },
];

describe('deterministic simulation', () => {
  it('replays a busy five-node run under every kind of nemesis step for step: same seed, same trace hash; another seed, another hash', async () => {
    const first = await pingScenario(11, { nemesis: everything, durationMs: 3500 });
    const again = await pingScenario(11, { nemesis: everything, durationMs: 3500 });
    const other = await pingScenario(12, { nemesis: everything, durationMs: 3500 });

    // The run was busy and every kind of trouble happened in it.
    expect(first.asks).toBeGreaterThan(500);
    expect(first.answered).toBeGreaterThan(400);
    expect(first.timedOut).toBeGreaterThan(0);
    for (const kind of ['deliver', 'drop', 'duplicate', 'node-crash', 'node-restart', 'nemesis', 'remote'])
      expect(first.traceKinds[kind]).toBeGreaterThan(0);
    expect(first.traceKinds['node-crash']).toBe(2);

    expect(again).toEqual(first);
    expect(again.traceHash).toBe(first.traceHash);
    expect(other.traceHash).not.toBe(first.traceHash);
    expect(other.steps).not.toBe(first.steps);
  });

  it('replays the random nemesis and the interleaving of steps from the seed alone', async () => {
    const run = (seed: number) =>
      simulate(
        {
          seed,
          nodes: 3,
          setup: counterApp(newCounts()),
          serialization: appSerialization,
          nemesis: 'random',
          durationMs: 6000,
        },
        async (sim) => {
          await sim.run();
          return {
            hash: sim.traceHash(),
            nemesis: sim.trace.filter((r) => r.kind === 'nemesis').map((r) => [r.at, r.detail]),
          };
        },
      );
    const a = await run(5);
    const b = await run(5);
    const c = await run(6);
    expect(b).toEqual(a);
    expect(a.nemesis.length).toBeGreaterThan(3);
    expect(c.nemesis).not.toEqual(a.nemesis);
  });

  it('derives incarnations, skews and the scenario random stream from the seed, never from nanoid or Math.random', async () => {
    const identity = (seed: number) =>
      simulate(
        { seed, nodes: 3, skewMs: 100, setup: () => undefined, serialization: appSerialization },
        (sim) => ({
          incarnations: sim.nodes.map((n) => n.incarnation),
          skews: sim.nodes.map((n) => n.clock.now() - sim.clock.now()),
          draws: [sim.random.next(), sim.random.next()],
        }),
      );
    const a = await identity(99);
    expect(await identity(99)).toEqual(a);
    const b = await identity(100);
    expect(b.incarnations).not.toEqual(a.incarnations);
    expect(b.draws).not.toEqual(a.draws);
    expect(new Set(a.incarnations).size).toBe(3);
    for (const skew of [...a.skews, ...b.skews]) expect(Math.abs(skew)).toBeLessThanOrEqual(100);
  });

  it('generates a random nemesis with explicit targets that ends quiet: healed, faults cleared, every node restarted', () => {
    const names = ['node-1', 'node-2', 'node-3', 'node-4'];
    const schedule = randomNemesis(createSeededRandom(3), names, { endMs: 5000, maxDown: 1 });
    expect(randomNemesis(createSeededRandom(3), names, { endMs: 5000, maxDown: 1 })).toEqual(schedule);
    expect(schedule.every((e, i) => i === 0 || e.at >= schedule[i - 1].at)).toBe(true);
    for (const { action } of schedule) {
      if (action.type === 'crash') expect(names).toContain(action.node);
      if (action.type === 'partition') expect(action.sides).toBeDefined();
    }
    const tail = schedule.filter((e) => e.at === 5000).map((e) => e.action.type);
    expect(tail).toEqual(['heal', 'clear-faults', 'restart', 'restart', 'restart', 'restart']);
    expect(schedule.filter((e) => e.at < 5000).length).toBeGreaterThan(3);
  });
});
