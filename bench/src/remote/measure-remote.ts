import { performance } from 'node:perf_hooks';
import type { Measurement } from '../measurement.js';
import { median, quantile } from '../quantile.js';
import type { RemoteClient } from './remote-client.js';

export interface RemotePlan {
  /** Most work per sample. */
  nominal: number;
  /** n is always a multiple of this (messages per frame). */
  step: number;
  /** Record every round trip and report p50 and p99 besides the rate. */
  latency: boolean;
  /** Samples taken (after the warm-up). */
  samples: number;
  /** Wall time a sample should take at most. */
  sampleMs: number;
  /** Least time from the first probe to the first sample. */
  warmUpMs: number;
}

/** Metric name → measurement: `throughput` always, `rtt-p50` and `rtt-p99` (µs) for latency cases. */
export type RemoteMeasurements = Record<string, Measurement>;

/** What one sample measured. */
export interface SampleStats {
  n: number;
  /** Units of work per second. */
  rate: number;
  /** Round trip (µs), for latency cases. */
  p50?: number;
  p99?: number;
}

const roundToStep = (n: number, step: number): number => Math.max(step, Math.floor(n / step) * step);

/**
 * Times `n` units of work, then re-sizes: the next sample is sized from this one's rate to take about
 * `sampleMs` (a neighbour that slowed this sample, or a JIT still warming, does not leave the next one too
 * long or too short, nor a p99 resting on too few round trips).
 */
export async function takeSample(
  client: RemoteClient,
  plan: RemotePlan,
  n: number,
): Promise<{ stats: SampleStats; next: number }> {
  const rtts = plan.latency ? new Float64Array(n) : undefined;
  const start = performance.now();
  await client.run(n, rtts);
  const ms = performance.now() - start;
  const stats: SampleStats = { n, rate: (n / ms) * 1000 };
  if (rtts) {
    const sorted = Array.from(rtts);
    stats.p50 = quantile(sorted, 0.5);
    stats.p99 = quantile(sorted, 0.99);
  }
  const next = Math.min(plan.nominal, roundToStep((n / ms) * plan.sampleMs, plan.step));
  return { stats, next };
}

/**
 * Like measureThroughput's start for the core cases: probes with doubling sizes, then warm-up runs at sample
 * size until `warmUpMs` have passed (the JIT in both processes); returns the size of the first sample.
 *
 * Unlike the core cases, no GC is ever forced: samples run in the steady state the warm-up reached, each paying
 * for its own garbage. A full GC forced in both processes before every sample made every figure slower and far
 * noisier on the 2-core VM these figures come from (raw ws with 1 in flight: 6,700 instead of 19,800 req/s in
 * back-to-back runs): it measured the VM more than the code.
 */
export async function warmUp(client: RemoteClient, plan: RemotePlan): Promise<number> {
  const began = performance.now();
  let n = roundToStep(plan.nominal / 256, plan.step);
  for (;;) {
    const start = performance.now();
    await client.run(n);
    const ms = performance.now() - start;
    if (ms >= 100 || n >= plan.nominal) break;
    n = Math.min(plan.nominal, roundToStep(n * 2, plan.step));
  }
  do n = (await takeSample(client, plan, n)).next;
  while (performance.now() - began < plan.warmUpMs);
  return n;
}

/** Medians over the samples; `n` is the median sample size. */
export function summarize(samples: readonly SampleStats[]): RemoteMeasurements {
  const n = median(samples.map((s) => s.n));
  const of = (values: number[]): Measurement => ({ value: median(values), samples: values, n });
  const out: RemoteMeasurements = { throughput: of(samples.map((s) => s.rate)) };
  if (samples.every((s) => s.p50 !== undefined && s.p99 !== undefined)) {
    out['rtt-p50'] = of(samples.map((s) => s.p50!));
    out['rtt-p99'] = of(samples.map((s) => s.p99!));
  }
  return out;
}

/** A whole measurement in one process: warm-up, then `plan.samples` samples back to back. */
export async function measureRemote(client: RemoteClient, plan: RemotePlan): Promise<RemoteMeasurements> {
  let n = await warmUp(client, plan);
  const samples: SampleStats[] = [];
  for (let i = 0; i < plan.samples; i++) {
    const { stats, next } = await takeSample(client, plan, n);
    samples.push(stats);
    n = next;
  }
  return summarize(samples);
}
