import { performance } from 'node:perf_hooks';

/**
 * Sends `total` requests keeping `inFlight` outstanding: each of `inFlight` loops awaits its reply, then sends
 * the next. The same driver runs the raw and the Troupe requests, so they differ only in `request`.
 */
export async function driveRequests(
  request: (n: number) => Promise<unknown>,
  inFlight: number,
  total: number,
  rtts?: Float64Array,
): Promise<void> {
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < total) {
      const n = next++;
      if (rtts) {
        const start = performance.now();
        await request(n);
        rtts[n] = (performance.now() - start) * 1000;
      } else {
        await request(n);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, loop));
}
