import { sweepSeeds } from '@troupe/testkit';
import { type CacheReport, cacheScenario } from '../src';

jest.setTimeout(600_000);

describe('the cache scenario under a nemesis', () => {
  it('keeps quorum reads and writes linearizable per key, loses no acknowledged write and converges, over 300 seeds', async () => {
    const reports: CacheReport[] = [];
    const result = await sweepSeeds(
      async (seed) => {
        reports.push(await cacheScenario(seed));
      },
      { from: 1, count: 300 },
    );
    const failures = result.failed.map((f) => `seed ${f.seed}: ${(f.error as Error).message.split('\n')[0]}`);
    expect(failures).toEqual([]);
    expect(result.passed).toBe(300);
    // The runs did what the property is about: acknowledged writes, quorum reads, crashes and partitions.
    const sum = (f: (r: CacheReport) => number) => reports.reduce((n, r) => n + f(r), 0);
    expect(sum((r) => r.acknowledgedWrites)).toBeGreaterThan(300 * 50);
    expect(sum((r) => r.reads)).toBeGreaterThan(300 * 50);
    expect(sum((r) => r.crashes)).toBeGreaterThan(150);
    expect(sum((r) => r.partitions)).toBeGreaterThan(150);
    expect(sum((r) => r.failed)).toBeGreaterThan(0);
    // Write leases were taken, and other coordinators' writes refused under them, in the same runs.
    expect(sum((r) => r.leasedWrites)).toBeGreaterThan(300 * 10);
    expect(sum((r) => r.leaseRefusals)).toBeGreaterThan(300);
  });

  it('keeps the same properties with members from a real cluster (crashed nodes downed and rejoining), over 30 seeds', async () => {
    const reports: CacheReport[] = [];
    const result = await sweepSeeds(
      async (seed) => {
        reports.push(await cacheScenario(seed, { cluster: true, durationMs: 6000 }));
      },
      { from: 1, count: 30 },
    );
    const failures = result.failed.map((f) => `seed ${f.seed}: ${(f.error as Error).message.split('\n')[0]}`);
    expect(failures).toEqual([]);
    expect(reports.reduce((n, r) => n + r.crashes, 0)).toBeGreaterThan(10);
    expect(reports.reduce((n, r) => n + r.acknowledgedWrites, 0)).toBeGreaterThan(30 * 100);
  });

  it('replays a seed step for step', async () => {
    const a = await cacheScenario(42);
    const b = await cacheScenario(42);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.operations).toBe(a.operations);
  });
});
