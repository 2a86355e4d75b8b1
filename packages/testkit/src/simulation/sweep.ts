import { setImmediate as realSetImmediate } from 'node:timers';
import { SimulationUsageError } from './SimulationFailure';

/** Where a sweep is, after each seed. */
export interface SweepProgress {
  readonly done: number;
  readonly total: number;
  readonly failed: number;
  /** Seeds per second of real time so far. */
  readonly seedsPerSecond: number;
  /** The seed just run. */
  readonly seed: number;
}

/** A seed that failed, and how. */
export interface SweepFailure {
  readonly seed: number;
  readonly error: unknown;
}

/** The outcome of a sweep. */
export interface SweepResult {
  readonly total: number;
  readonly passed: number;
  readonly failed: ReadonlyArray<SweepFailure>;
  /** Real time the sweep took. */
  readonly elapsedMs: number;
  readonly seedsPerSecond: number;
}

/** Options of {@link sweepSeeds}. */
export interface SweepOptions {
  /** First seed. Default 1. */
  from?: number;
  /** How many seeds: `from`, `from + 1`, … */
  count: number;
  onProgress?: (progress: SweepProgress) => void;
  /** Stop after this many failures. Default: never, run them all. */
  maxFailures?: number;
}

/**
 * Runs a scenario for many seeds, one after the other, and collects the failures (it never throws for one).
 *
 * @example
 * ```ts
 * const result = await sweepSeeds((seed) => pingScenario(seed), { from: 1, count: 100 });
 * for (const f of result.failed) console.error((f.error as Error).message);
 * ```
 */
export async function sweepSeeds(
  scenario: (seed: number) => Promise<unknown>,
  options: SweepOptions,
): Promise<SweepResult> {
  const from = options.from ?? 1;
  const { count } = options;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(count) || count < 0) {
    throw new SimulationUsageError(
      `a sweep needs integer seeds and a count >= 0, got from ${from}, count ${count}`,
    );
  }
  const maxFailures = options.maxFailures ?? Infinity;
  const failed: SweepFailure[] = [];
  const started = performance.now();
  const rate = (done: number): number => {
    const seconds = (performance.now() - started) / 1000;
    return seconds > 0 ? done / seconds : 0;
  };
  let done = 0;
  for (let seed = from; seed < from + count; seed++) {
    try {
      await scenario(seed);
    } catch (error) {
      failed.push({ seed, error });
    }
    done++;
    options.onProgress?.({ done, total: count, failed: failed.length, seedsPerSecond: rate(done), seed });
    if (failed.length >= maxFailures) break;
    // A macrotask between seeds, so that output gets written and signals handled during a long sweep.
    await new Promise((resolve) => realSetImmediate(resolve));
  }
  const elapsedMs = performance.now() - started;
  return { total: done, passed: done - failed.length, failed, elapsedMs, seedsPerSecond: rate(done) };
}
