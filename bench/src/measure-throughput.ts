import { performance } from 'node:perf_hooks';
import { collectGarbage } from './collect-garbage.js';
import type { Trial } from './contender.js';
import type { Measurement } from './measurement.js';
import { median } from './quantile.js';

export interface ThroughputPlan {
  /** Work per sample for fast contenders; slow ones get less so a case stays within its time. */
  nominal: number;
  /** n is always a multiple of this (e.g. the number of messages in flight). */
  step: number;
  /** Builds a fresh trial doing `n` units of work. */
  trial(n: number): Trial;
  /** Fewest samples taken; short samples get more, up to `maxSamples`, to tame their noise. */
  samples?: number;
  maxSamples?: number;
  /** Wall time a sample should take at most. */
  sampleMs?: number;
}

async function timeTrial(plan: ThroughputPlan, n: number): Promise<number> {
  const trial = plan.trial(n);
  collectGarbage();
  const start = performance.now();
  await trial.run();
  const elapsed = performance.now() - start;
  await trial.dispose();
  return elapsed;
}

function roundToStep(n: number, step: number): number {
  return Math.max(step, Math.floor(n / step) * step);
}

/**
 * Probes with doubling sizes (which doubles as JIT warm-up) to estimate the rate, sizes the
 * samples so none takes longer than `sampleMs`, re-estimates from one warm-up run at that size
 * (probes run cold and underestimate), then reports the median rate in units per second. Samples
 * much shorter than `sampleMs` are taken more often, as timer and GC noise weigh most on them.
 */
export async function measureThroughput(plan: ThroughputPlan): Promise<Measurement> {
  const { nominal, step, samples = 5, maxSamples = 15, sampleMs = 400 } = plan;
  const sizeFor = (n: number, elapsed: number): number =>
    Math.min(nominal, roundToStep((n / elapsed) * sampleMs, step));
  let n = roundToStep(nominal / 256, step);
  let elapsed = await timeTrial(plan, n);
  while (elapsed < 100 && n < nominal) {
    n = Math.min(nominal, roundToStep(n * 2, step));
    elapsed = await timeTrial(plan, n);
  }
  n = sizeFor(n, elapsed);
  const warmN = n;
  const warmUp = await timeTrial(plan, warmN);
  n = Math.max(warmN, sizeFor(warmN, warmUp));
  const expectedMs = (warmUp * n) / warmN;
  const count = Math.min(maxSamples, Math.max(samples, Math.ceil((samples * sampleMs) / expectedMs)));
  const rates: number[] = [];
  for (let i = 0; i < count; i++) rates.push((n / (await timeTrial(plan, n))) * 1000);
  return { value: median(rates), samples: rates, n };
}
