import { InvalidClusterSettingsError } from './ClusterError';

/**
 * How the cluster decides to down unreachable members once the view has been stable for `stableAfterMs`:
 *
 * - `keep-majority` (default): the side that sees more than half of the up/leaving members (the unreachable
 *   ones count as the other side) downs the unreachable; a side with fewer than half downs *itself*. With two
 *   equal halves, the side holding the lowest address among all those members wins.
 * - `static-quorum`: a side that sees at least `quorumSize` up/leaving members downs the unreachable; a smaller
 *   side downs itself. Pick `quorumSize` > half the largest cluster you will run, or both halves may survive.
 * - `none`: nothing is downed automatically; call `cluster.down(address)`.
 */
export type DowningStrategy =
  | { readonly strategy: 'keep-majority' }
  | { readonly strategy: 'static-quorum'; readonly quorumSize: number }
  | { readonly strategy: 'none' };

/**
 * Timings of the cluster. Start from {@link ClusterSettings.defaults} (Akka's production values) or
 * {@link ClusterSettings.fast} (tests and demos on one machine) and override what you need.
 *
 * @example
 * ```ts
 * const settings = ClusterSettings.defaults({ stableAfterMs: 7000, downing: { strategy: 'static-quorum', quorumSize: 3 } });
 * startCluster(node, { seeds, settings });
 * ```
 */
export interface ClusterSettings {
  /** Each node sends its gossip to one other member this often. Default 1000 ms. */
  readonly gossipIntervalMs: number;
  /** Each node sends a heartbeat to every member it monitors this often. Default 1000 ms. */
  readonly heartbeatIntervalMs: number;
  /** Phi above which a monitored member counts as unreachable. Default 8. */
  readonly phiThreshold: number;
  /** A silence this long is still normal: added to the mean heartbeat interval. Default 3000 ms. */
  readonly acceptableHeartbeatPauseMs: number;
  /** Floor of the standard deviation of heartbeat intervals, so steady heartbeats do not make phi jumpy. Default 100 ms. */
  readonly minStdDeviationMs: number;
  /** Heartbeat intervals remembered per monitored member. Default 1000. */
  readonly maxSampleSize: number;
  /**
   * A member that never answered a heartbeat is treated as if it had answered this long after monitoring
   * started, so that a node that never answers is found too. Default: the heartbeat interval.
   */
  readonly expectedResponseAfterMs: number;
  /**
   * Phi is checked against the threshold when a member's next answer is overdue (no periodic check adds to the
   * time to find a crash). When this node itself was stalled, the check suspects nobody and looks again this
   * long later, once the answers that queued up meanwhile have been read. Default 250 ms.
   */
  readonly unreachableReaperIntervalMs: number;
  /** Each member is monitored by this many others (its successors on a ring sorted by address). Default 5. */
  readonly monitoredByNrOfMembers: number;
  /**
   * How long the first seed waits for another seed to answer as a member before it forms the cluster alone (an
   * answer restarts the wait). Default 5000 ms.
   */
  readonly seedTimeoutMs: number;
  /** A node not yet a member asks the seeds again this often. Default 1000 ms. */
  readonly joinRetryIntervalMs: number;
  /** Membership and reachability must not have changed for this long before downing acts. Default 20,000 ms. */
  readonly stableAfterMs: number;
  readonly downing: DowningStrategy;
  /**
   * Each node re-sends its receptionist registry to every up member this often (besides on change, and to each
   * member that comes up), to repair lost messages. Default 5000 ms.
   */
  readonly registryIntervalMs: number;
  /**
   * An exiting node that has not heard of its removal this long after it started exiting removes itself (the
   * leader it waits for may have gone). Default 10,000 ms.
   */
  readonly exitingTimeoutMs: number;
  /** Removed members are remembered (so stale gossip cannot bring them back) for this long. Default 24 h. */
  readonly pruneTombstonesAfterMs: number;
}

const DEFAULTS: ClusterSettings = Object.freeze({
  gossipIntervalMs: 1000,
  heartbeatIntervalMs: 1000,
  phiThreshold: 8,
  acceptableHeartbeatPauseMs: 3000,
  minStdDeviationMs: 100,
  maxSampleSize: 1000,
  expectedResponseAfterMs: 1000,
  unreachableReaperIntervalMs: 250,
  monitoredByNrOfMembers: 5,
  seedTimeoutMs: 5000,
  joinRetryIntervalMs: 1000,
  stableAfterMs: 20_000,
  downing: Object.freeze({ strategy: 'keep-majority' }) as DowningStrategy,
  registryIntervalMs: 5000,
  exitingTimeoutMs: 10_000,
  pruneTombstonesAfterMs: 24 * 3600 * 1000,
});

const FAST: ClusterSettings = Object.freeze({
  ...DEFAULTS,
  gossipIntervalMs: 100,
  heartbeatIntervalMs: 100,
  acceptableHeartbeatPauseMs: 300,
  // Scaled with the interval, as the production floor is to a one-second interval: a dead node is then found
  // within the acceptable pause plus two heartbeats.
  minStdDeviationMs: 10,
  // Half the default, not a tenth: a member's first answer waits for a new connection (and, in a process that
  // just started, for code that has not run yet), which takes as long with fast heartbeats as with slow ones. At
  // 100 ms, ten processes starting on two busy cores suspected members whose first answer took 600-700 ms, and
  // every such suspicion held up convergence until the member was heard again. At 500 ms a silent first answer
  // is suspected about 1 s after monitoring starts (500 + mean + pause + 5.2 × the first estimate's 25 ms).
  expectedResponseAfterMs: 500,
  unreachableReaperIntervalMs: 25,
  seedTimeoutMs: 500,
  joinRetryIntervalMs: 100,
  // A tenth of the default, as the heartbeat, the pause and the gossip are. At 500 ms (no longer than detection
  // itself) ten processes on a starved two-core machine downed live members that a GC or scheduling stall had
  // made look dead for a moment.
  stableAfterMs: 2000,
  registryIntervalMs: 1000,
  exitingTimeoutMs: 2000,
});

/**
 * Builders of {@link ClusterSettings}; every one validates the result and throws
 * `InvalidClusterSettingsError` (`CLUSTER_ERR_INVALID_SETTINGS`) for a bad value.
 *
 * @example
 * ```ts
 * ClusterSettings.defaults();                      // Akka's production timings
 * ClusterSettings.fast({ stableAfterMs: 1000 });   // 100 ms heartbeats and gossip, for tests
 * ```
 */
export const ClusterSettings = {
  /**
   * Akka's production values: heartbeat and gossip every second, phi threshold 8, 3 s acceptable pause, 100 ms
   * minimum standard deviation, 20 s stable-after, keep-majority.
   */
  defaults(overrides: Partial<ClusterSettings> = {}): ClusterSettings {
    return validate({ ...DEFAULTS, ...overrides });
  },
  /**
   * For tests and demos on one machine: heartbeat and gossip every 100 ms, 300 ms pause, 2 s stable-after (a
   * tenth of the defaults), but a first answer has 500 ms before it is overdue, as it waits for a new connection.
   */
  fast(overrides: Partial<ClusterSettings> = {}): ClusterSettings {
    return validate({ ...FAST, ...overrides });
  },
};

function validate(s: ClusterSettings): ClusterSettings {
  const positive: (keyof ClusterSettings)[] = [
    'gossipIntervalMs',
    'heartbeatIntervalMs',
    'phiThreshold',
    'minStdDeviationMs',
    'expectedResponseAfterMs',
    'unreachableReaperIntervalMs',
    'seedTimeoutMs',
    'joinRetryIntervalMs',
    'registryIntervalMs',
    'exitingTimeoutMs',
    'pruneTombstonesAfterMs',
  ];
  for (const k of positive) {
    const v = s[k];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
      throw new InvalidClusterSettingsError(k, `must be a positive finite number, got ${String(v)}`);
  }
  for (const k of ['acceptableHeartbeatPauseMs', 'stableAfterMs'] as const) {
    const v = s[k];
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))
      throw new InvalidClusterSettingsError(k, `must be a finite number >= 0, got ${String(v)}`);
  }
  for (const k of ['maxSampleSize', 'monitoredByNrOfMembers'] as const) {
    const v = s[k];
    if (!Number.isSafeInteger(v) || v < 1)
      throw new InvalidClusterSettingsError(k, `must be an integer >= 1, got ${String(v)}`);
  }
  const d = s.downing as DowningStrategy | undefined;
  if (!d || !['keep-majority', 'static-quorum', 'none'].includes(d.strategy))
    throw new InvalidClusterSettingsError('downing', `unknown strategy ${JSON.stringify(d?.strategy)}`);
  if (d.strategy === 'static-quorum' && !(Number.isSafeInteger(d.quorumSize) && d.quorumSize >= 1))
    throw new InvalidClusterSettingsError(
      'downing.quorumSize',
      `must be an integer >= 1, got ${String(d.quorumSize)}`,
    );
  return Object.freeze({ ...s });
}
