import { type CliIo, parseArgs, progressLine, runCli } from '../../sim/cli';
import { scenarios } from '../../sim/scenarios';
import { pingScenario, simulate, sweepSeeds, watchScenario } from '../../src/simulation';
import { appSerialization } from './apps';

function captureIo(errIsTTY = false): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    errIsTTY,
    out: (text: string) => void (io.stdout += text),
    err: (text: string) => void (io.stderr += text),
  };
  return io;
}

/** Fails for every seed divisible by 3, as a real scenario would: inside `simulate`, with a check. */
const flaky = (seed: number) =>
  simulate(
    { name: 'flaky', seed, nodes: 1, setup: () => undefined, serialization: appSerialization },
    async (sim) => {
      await sim.run(100);
      sim.check(seed % 3 !== 0, `seed ${seed} is divisible by 3`);
      return { seed };
    },
  );

describe('seed sweeps', () => {
  it('passes 50 seeds of the busy ping scenario', async () => {
    const result = await sweepSeeds((seed) => pingScenario(seed), { from: 1, count: 50 });
    expect(result.failed.map((f) => [f.seed, (f.error as Error).message])).toEqual([]);
    expect(result.passed).toBe(50);
  }, 60_000);

  it('passes 50 seeds of the remote death watch scenario', async () => {
    const result = await sweepSeeds((seed) => watchScenario(seed), { from: 1, count: 50 });
    expect(result.failed.map((f) => [f.seed, (f.error as Error).message])).toEqual([]);
  }, 60_000);

  it('registers ping and watch for the command line', () => {
    expect(Object.keys(scenarios)).toEqual(expect.arrayContaining(['ping', 'watch']));
  });

  it('collects the failed seeds of a sweep and reports progress after each seed', async () => {
    const seen: number[] = [];
    const result = await sweepSeeds(flaky, { from: 1, count: 7, onProgress: (p) => seen.push(p.done) });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(result.passed).toBe(5);
    expect(result.failed.map((f) => f.seed)).toEqual([3, 6]);
    expect(result.failed[0].error).toMatchObject({ code: 'SIM_ERR_FAILED', seed: 3 });
    const stopped = await sweepSeeds(flaky, { from: 1, count: 10, maxFailures: 1 });
    expect(stopped.total).toBe(3);
  });
});

describe('the sim command line', () => {
  const registry = { flaky };

  it('replays one passing seed and exits 0', async () => {
    const io = captureIo();
    expect(await runCli(['--scenario', 'flaky', '--seed', '4'], registry, io)).toBe(0);
    expect(io.stdout).toMatch(/^scenario flaky, seed 4: passed in [\d.]+ s\n\{\n {2}"seed": 4\n\}\n$/);
  });

  it('replays one failing seed, prints the failure with its replay command and trace, and exits 1', async () => {
    const io = captureIo();
    expect(await runCli(['--scenario=flaky', '--seed=3'], registry, io)).toBe(1);
    expect(io.stderr).toContain('scenario flaky, seed 3: FAILED');
    expect(io.stderr).toContain('seed 3 is divisible by 3');
    expect(io.stderr).toContain('replay: npm run sim -- --scenario flaky --seed 3');
    expect(io.stderr).toContain('last ');
  });

  it('sweeps with a progress bar redrawn in place on a terminal, lists failed seeds with their replay commands, and exits 1', async () => {
    const io = captureIo(true);
    expect(await runCli(['--scenario', 'flaky', '--seeds', '7', '--from', '1'], registry, io)).toBe(1);
    expect(io.stderr).toMatch(/\r\[#{30}\] 7\/7 seeds, 2 failed, [\d.]+ seeds\/s\n$/);
    expect(io.stdout).toContain('7 seeds of flaky (1..7): 5 passed, 2 failed in');
    expect(io.stdout).toContain('  seed 3: ');
    expect(io.stdout).toContain('    npm run sim -- --scenario flaky --seed 3\n');
    expect(io.stdout).toContain('    npm run sim -- --scenario flaky --seed 6\n');
  });

  it('prints one progress line per tenth when standard error is not a terminal, and exits 0 when every seed passes', async () => {
    const io = captureIo(false);
    expect(await runCli(['--scenario', 'flaky', '--seeds', '2', '--from', '4'], registry, io)).toBe(0);
    expect(io.stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^\[#{15}\.{15}\] 1\/2 seeds, 0 failed/),
      expect.stringMatching(/^\[#{30}\] 2\/2 seeds, 0 failed/),
    ]);
    expect(io.stdout).toContain('2 seeds of flaky (4..5): 2 passed, 0 failed');
  });

  it('exits 2 with the usage for bad arguments or an unknown scenario', async () => {
    for (const argv of [
      [],
      ['--scenario', 'flaky'],
      ['--seed', 'x'],
      ['--scenario', 'flaky', '--seed', '1', '--seeds', '2'],
      ['--what'],
    ]) {
      const io = captureIo();
      expect(await runCli(argv, registry, io)).toBe(2);
      expect(io.stderr).toContain('usage:');
    }
    const io = captureIo();
    expect(await runCli(['--scenario', 'nope', '--seed', '1'], registry, io)).toBe(2);
    expect(io.stderr).toBe('no scenario named "nope"; scenarios: flaky\n');
    expect(parseArgs(['--seeds', '10', '--from', '-3'])).toMatchObject({ seeds: 10, from: -3 });
    expect(progressLine({ done: 412, total: 1000, failed: 0, seedsPerSecond: 37.2 })).toBe(
      '[############..................] 412/1000 seeds, 0 failed, 37 seeds/s',
    );
  });
});
