import { collectGarbage } from './collect-garbage.js';
import type { IdleHost } from './contender.js';
import type { Measurement } from './measurement.js';
import { median } from './quantile.js';

// Lets actors finish any start-up their runtime defers to a later turn before the heap is read.
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function sampleBytesPerActor(host: () => Promise<IdleHost>, count: number): Promise<number> {
  const system = await host();
  // The array holding the refs is allocated before the first reading so it is not charged.
  const refs: unknown[] = new Array(count).fill(null);
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  await system.spawnIdle(refs);
  await nextTurn();
  await nextTurn();
  collectGarbage();
  collectGarbage();
  const after = process.memoryUsage().heapUsed;
  await system.dispose();
  refs.length = 0;
  return (after - before) / count;
}

/**
 * Heap growth per idle actor, median of `samples` runs. A small warm-up run first creates the
 * code, hidden classes and other one-off structures that would otherwise be charged to the
 * first measured actors.
 */
export async function measureIdleHeap(
  host: () => Promise<IdleHost>,
  count: number,
  samples = 3,
): Promise<Measurement> {
  await sampleBytesPerActor(host, Math.ceil(count / 100));
  const bytes: number[] = [];
  for (let i = 0; i < samples; i++) bytes.push(await sampleBytesPerActor(host, count));
  return { value: median(bytes), samples: bytes, n: count };
}
