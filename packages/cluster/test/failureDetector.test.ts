import { createSeededRandom } from '@troupe/core';
import { PhiAccrualFailureDetector, phiOf } from '../src';

const AKKA = PhiAccrualFailureDetector.AKKA_DEFAULTS;

/** A detector fed `n` heartbeats every `interval` ms (plus jitter), and the time of the last one. */
function fed(
  n: number,
  interval: number,
  jitter = 0,
  seed = 1,
): { fd: PhiAccrualFailureDetector; last: number } {
  const fd = new PhiAccrualFailureDetector(AKKA);
  const random = createSeededRandom(seed);
  let t = 0;
  for (let i = 0; i < n; i++) {
    fd.heartbeat(t);
    t += interval + (random.next() * 2 - 1) * jitter;
  }
  return { fd, last: t - interval };
}

describe('the phi accrual failure detector', () => {
  it('reports phi 0 before the first heartbeat, and is available', () => {
    const fd = new PhiAccrualFailureDetector(AKKA);
    expect(fd.isMonitoring).toBe(false);
    expect(fd.phi(123_456)).toBe(0);
    expect(fd.isAvailable(123_456)).toBe(true);
  });

  it('lets phi rise steadily with the silence since the last heartbeat', () => {
    const { fd, last } = fed(30, 1000);
    let previous = -1;
    for (let silence = 0; silence <= 6000; silence += 250) {
      const phi = fd.phi(last + silence);
      expect(phi).toBeGreaterThanOrEqual(previous);
      previous = phi;
    }
    expect(fd.phi(last + 6000)).toBeGreaterThan(fd.phi(last + 3000));
  });

  it('with Akka defaults, finds a node silent for longer than the acceptable pause plus two intervals (phi > 8)', () => {
    const { fd, last } = fed(30, 1000);
    // 3 s pause + 2 × 1 s: unavailable.
    expect(fd.phi(last + 3000 + 2 * 1000)).toBeGreaterThan(8);
    expect(fd.isAvailable(last + 5000)).toBe(false);
    // But not too eagerly: a silence of the pause plus one interval is still tolerated.
    expect(fd.phi(last + 3000 + 1000)).toBeLessThan(8);
    expect(fd.isAvailable(last + 4000)).toBe(true);
  });

  it('keeps phi low while heartbeats arrive regularly, with jitter', () => {
    const fd = new PhiAccrualFailureDetector(AKKA);
    const random = createSeededRandom(42);
    let t = 0;
    let worst = 0;
    for (let i = 0; i < 500; i++) {
      fd.heartbeat(t);
      const next = t + 1000 + (random.next() * 2 - 1) * 200; // ±20 % jitter
      // Just before the next heartbeat arrives is when phi is highest.
      worst = Math.max(worst, fd.phi(next - 1));
      t = next;
    }
    expect(worst).toBeLessThan(1);
    expect(fd.isAvailable(t)).toBe(true);
  });

  it('treats a pause within the acceptable pause as normal', () => {
    const { fd, last } = fed(30, 1000, 50);
    expect(fd.phi(last + 2500)).toBeLessThan(1);
  });

  it('does not learn from the interval that ended a failure, so the next failure is found as fast', () => {
    const { fd, last } = fed(30, 1000);
    const samples = fd.sampleCount;
    expect(fd.isAvailable(last + 60_000)).toBe(false);
    fd.heartbeat(last + 60_000);
    expect(fd.sampleCount).toBe(samples);
    expect(fd.isAvailable(last + 60_000 + 1000)).toBe(true);
    expect(fd.isAvailable(last + 60_000 + 5000)).toBe(false);
  });

  it('tells the instant phi will cross the threshold: available just before it, unavailable from it on', () => {
    for (const [options, jitter] of [
      [AKKA, 0],
      [AKKA, 150],
      [{ ...AKKA, threshold: 1, minStdDeviationMs: 7 }, 0],
      [{ ...AKKA, threshold: 16 }, 40],
    ] as const) {
      const fd = new PhiAccrualFailureDetector(options);
      const random = createSeededRandom(3);
      let t = 0;
      for (let i = 0; i < 40; i++, t += 1000 + (random.next() * 2 - 1) * jitter) fd.heartbeat(t);
      const at = fd.unavailableAt();
      expect(fd.isAvailable(at - 0.01)).toBe(true);
      expect(fd.isAvailable(at)).toBe(false);
      expect(fd.phi(at)).toBeCloseTo(options.threshold, 6);
    }
  });

  it('with threshold 8, crosses it mean + pause + about 5.2 standard deviations after the last heartbeat', () => {
    const { fd, last } = fed(30, 1000);
    expect(fd.meanIntervalMs).toBeCloseTo(1000, 6);
    expect(fd.stdDeviationMs).toBe(AKKA.minStdDeviationMs);
    expect(fd.lastHeartbeatAt).toBe(last);
    expect(fd.unavailableAt() - last).toBeCloseTo(1000 + 3000 + 5.226 * 100, 0);
  });

  it('never becomes unavailable before its first heartbeat', () => {
    const fd = new PhiAccrualFailureDetector(AKKA);
    expect(fd.unavailableAt()).toBe(Infinity);
    expect(fd.meanIntervalMs).toBeUndefined();
    expect(fd.stdDeviationMs).toBeUndefined();
  });

  it('counts a heartbeat told not to teach its interval as proof of life only', () => {
    const { fd, last } = fed(30, 1000);
    const [samples, mean] = [fd.sampleCount, fd.meanIntervalMs];
    fd.heartbeat(last + 1, false);
    expect(fd.sampleCount).toBe(samples);
    expect(fd.meanIntervalMs).toBe(mean);
    expect(fd.lastHeartbeatAt).toBe(last + 1);
    // Had it been learnt, the 1 ms interval would have lowered the mean and widened the deviation.
    fd.heartbeat(last + 2);
    expect(fd.meanIntervalMs!).toBeLessThan(mean!);
  });

  it('remembers at most maxSampleSize intervals', () => {
    const fd = new PhiAccrualFailureDetector({ ...AKKA, maxSampleSize: 10 });
    for (let i = 0; i < 50; i++) fd.heartbeat(i * 1000);
    expect(fd.sampleCount).toBe(10);
  });

  it("follows Akka's formula: phi of a silence one standard deviation past the mean is about 0.8", () => {
    // P(X > mean + σ) ≈ 0.1587 for a normal distribution: -log10(0.1587) ≈ 0.80.
    expect(phiOf(1100, 1000, 100)).toBeCloseTo(0.8, 1);
    expect(phiOf(1000, 1000, 100)).toBeCloseTo(Math.log10(2), 2);
    expect(phiOf(0, 1000, 100)).toBeCloseTo(0, 5);
  });

  it('refuses nonsensical options with CLUSTER_ERR_INVALID_SETTINGS', () => {
    expect(() => new PhiAccrualFailureDetector({ ...AKKA, minStdDeviationMs: 0 })).toThrow(
      expect.objectContaining({ code: 'CLUSTER_ERR_INVALID_SETTINGS' }),
    );
  });
});
