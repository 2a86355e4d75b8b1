import { InvalidClusterSettingsError } from './ClusterError';

/** Options of {@link PhiAccrualFailureDetector}; Akka's names and meanings. */
export interface PhiAccrualOptions {
  /** Phi above which the monitored node is considered unavailable. */
  readonly threshold: number;
  /** Intervals remembered; older ones are forgotten. */
  readonly maxSampleSize: number;
  /** Floor of the standard deviation, so that very regular heartbeats do not make phi jump at the first delay. */
  readonly minStdDeviationMs: number;
  /** A silence of this long is still normal (GC pauses, a busy event loop): added to the mean. */
  readonly acceptableHeartbeatPauseMs: number;
  /** Mean interval assumed before any interval was measured (its standard deviation is a quarter of it). */
  readonly firstHeartbeatEstimateMs: number;
}

/**
 * The phi accrual failure detector of Hayashibara et al. (2004), as Akka implements it. Instead of a yes/no
 * timeout it reports a suspicion level, phi = -log10(P(a heartbeat comes later than now)), under a normal
 * distribution fitted to the intervals seen so far. Akka's variant adds the acceptable pause to the mean and puts
 * a floor under the standard deviation, and uses a logistic approximation of the normal CDF.
 *
 * With Akka's production values (1 s heartbeats, threshold 8, 3 s pause, 100 ms floor) a silent node crosses the
 * threshold about 4.5 s after its last heartbeat: the pause, one interval, and about five standard deviations.
 *
 * Time is passed in (milliseconds of any clock), so the detector runs on virtual time as well as real time.
 *
 * @example
 * ```ts
 * const fd = new PhiAccrualFailureDetector(PhiAccrualFailureDetector.AKKA_DEFAULTS);
 * fd.heartbeat(0);
 * fd.heartbeat(1000);
 * fd.phi(1500);          // ≈ 0: well within the expected interval
 * fd.isAvailable(7000);  // false: silent for longer than pause + a couple of intervals
 * ```
 */
export class PhiAccrualFailureDetector {
  /** Akka's defaults for cluster failure detection. */
  static readonly AKKA_DEFAULTS: PhiAccrualOptions = Object.freeze({
    threshold: 8,
    maxSampleSize: 1000,
    minStdDeviationMs: 100,
    acceptableHeartbeatPauseMs: 3000,
    firstHeartbeatEstimateMs: 1000,
  });

  private readonly intervals: Float64Array;
  private count = 0;
  private next = 0;
  private sum = 0;
  private squaredSum = 0;
  private last: number | undefined = undefined;
  /** How many standard deviations past mean + pause phi reaches the threshold: the same for any mean and std. */
  private readonly crossing: number;

  constructor(private readonly options: PhiAccrualOptions) {
    const {
      threshold,
      maxSampleSize,
      minStdDeviationMs,
      acceptableHeartbeatPauseMs,
      firstHeartbeatEstimateMs,
    } = options;
    if (!(threshold > 0)) throw new InvalidClusterSettingsError('threshold', 'must be > 0');
    if (!(Number.isSafeInteger(maxSampleSize) && maxSampleSize >= 2))
      throw new InvalidClusterSettingsError('maxSampleSize', 'must be an integer >= 2');
    if (!(minStdDeviationMs > 0)) throw new InvalidClusterSettingsError('minStdDeviationMs', 'must be > 0');
    if (!(acceptableHeartbeatPauseMs >= 0))
      throw new InvalidClusterSettingsError('acceptableHeartbeatPauseMs', 'must be >= 0');
    if (!(firstHeartbeatEstimateMs > 0))
      throw new InvalidClusterSettingsError('firstHeartbeatEstimateMs', 'must be > 0');
    this.intervals = new Float64Array(maxSampleSize);
    this.crossing = crossingOf(threshold);
  }

  /** Whether any heartbeat has been recorded yet. */
  get isMonitoring(): boolean {
    return this.last !== undefined;
  }

  /** Intervals currently in the history. */
  get sampleCount(): number {
    return this.count;
  }

  /** When the last heartbeat arrived; undefined before the first. */
  get lastHeartbeatAt(): number | undefined {
    return this.last;
  }

  /** Mean of the remembered heartbeat intervals (ms); undefined before the first heartbeat. */
  get meanIntervalMs(): number | undefined {
    return this.count === 0 ? undefined : this.sum / this.count;
  }

  /** Standard deviation phi uses (ms): that of the remembered intervals, at least the floor. */
  get stdDeviationMs(): number | undefined {
    if (this.count === 0) return undefined;
    const mean = this.sum / this.count;
    const variance = Math.max(0, this.squaredSum / this.count - mean * mean);
    return Math.max(Math.sqrt(variance), this.options.minStdDeviationMs);
  }

  /**
   * The first instant at which phi exceeds the threshold if no heartbeat arrives before it: the last heartbeat,
   * plus the mean interval, the acceptable pause and a fixed number of standard deviations (about 5.2 for
   * threshold 8). `Infinity` before the first heartbeat. A caller can sleep until then instead of polling phi.
   *
   * @example
   * ```ts
   * fd.heartbeat(now);
   * setTimeout(() => fd.isAvailable(Date.now()), fd.unavailableAt() - now); // false, unless a heartbeat came
   * ```
   */
  unavailableAt(): number {
    const last = this.last;
    if (last === undefined) return Infinity;
    return (
      last +
      this.meanIntervalMs! +
      this.options.acceptableHeartbeatPauseMs +
      this.crossing * this.stdDeviationMs!
    );
  }

  /**
   * Records a heartbeat that arrived at `now`. With `learnInterval` false it only proves the node alive now: the
   * time since the previous heartbeat is not a sample of the interval (as when it arrived together with others
   * that had queued up, say behind a connection being set up), and is not added to the history.
   */
  heartbeat(now: number, learnInterval = true): void {
    const last = this.last;
    if (last === undefined) {
      // As Akka: seed the history with two intervals around the estimate, so that phi is meaningful at once.
      const mean = this.options.firstHeartbeatEstimateMs;
      const std = mean / 4;
      this.add(mean - std);
      this.add(mean + std);
    } else if (learnInterval && this.isAvailable(now)) {
      // The first heartbeat after a failure is not an interval worth learning from: the long silence would
      // inflate the mean and make the next failure slower to find.
      this.add(now - last);
    }
    this.last = now;
  }

  /** The suspicion level at `now`: 0 before the first heartbeat, growing with the silence since the last one. */
  phi(now: number): number {
    const last = this.last;
    if (last === undefined) return 0;
    const elapsed = now - last;
    const mean = this.sum / this.count;
    const variance = Math.max(0, this.squaredSum / this.count - mean * mean);
    const std = Math.max(Math.sqrt(variance), this.options.minStdDeviationMs);
    return phiOf(elapsed, mean + this.options.acceptableHeartbeatPauseMs, std);
  }

  /** Whether phi at `now` is at most the threshold. */
  isAvailable(now: number): boolean {
    return this.phi(now) <= this.options.threshold;
  }

  private add(interval: number): void {
    if (this.count === this.intervals.length) {
      const old = this.intervals[this.next];
      this.sum -= old;
      this.squaredSum -= old * old;
    } else {
      this.count++;
    }
    this.intervals[this.next] = interval;
    this.next = (this.next + 1) % this.intervals.length;
    this.sum += interval;
    this.squaredSum += interval * interval;
  }
}

/**
 * Akka's phi: -log10 of the probability that the next heartbeat arrives after `elapsed`, with the normal CDF
 * approximated by a logistic function (error below 0.01 %), computed on whichever side keeps precision.
 */
export function phiOf(elapsed: number, mean: number, std: number): number {
  const y = (elapsed - mean) / std;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  if (elapsed > mean) return -Math.log10(e / (1 + e));
  return -Math.log10(1 - 1 / (1 + e));
}

/**
 * The y = (elapsed - mean) / std beyond which phi exceeds `threshold`: phi depends on y alone and grows with it,
 * so bisection finds it. The upper end of the final bracket is returned, so that phi there is above.
 */
function crossingOf(threshold: number): number {
  const phiAt = (y: number) => phiOf(y, 0, 1);
  let lo = -1;
  let hi = 1;
  while (phiAt(lo) > threshold) lo *= 2;
  while (phiAt(hi) <= threshold) hi *= 2;
  while (hi - lo > 1e-9) {
    const mid = (lo + hi) / 2;
    if (phiAt(mid) > threshold) hi = mid;
    else lo = mid;
  }
  return hi;
}
