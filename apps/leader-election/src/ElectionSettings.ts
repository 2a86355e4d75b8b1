import { InvalidElectionSettingsError } from './LeaderElectionError';

/**
 * Timings of the election, all measured as durations on each node's own clock (never by comparing two nodes'
 * timestamps), so a constant clock offset between nodes changes nothing.
 *
 * @example
 * ```ts
 * const settings = ElectionSettings.defaults({ heartbeatMs: 30 });
 * startLeaderElection(node, { voters, settings });
 * ```
 */
export interface ElectionSettings {
  /** A follower that has not heard from a leader for a random time in [min, max] stands for election. Default 150 ms. */
  readonly electionTimeoutMinMs: number;
  /** Default 300 ms. */
  readonly electionTimeoutMaxMs: number;
  /** The leader sends a heartbeat to every voter this often. Default 50 ms. */
  readonly heartbeatMs: number;
  /**
   * How long a heartbeat round acknowledged by a majority keeps the leader's lease valid, counted from the
   * moment the round was sent. Must be shorter than `electionTimeoutMinMs`: the gap is the margin for clock
   * rate drift between nodes. Default 100 ms.
   */
  readonly leaseMs: number;
  /** Ask for pre-votes before a real election, so a node cut off from the rest does not inflate terms. Default true. */
  readonly preVote: boolean;
  /** A leader that has not heard from a majority for `checkQuorumMs` steps down. Default true. */
  readonly checkQuorum: boolean;
  /** Default: `electionTimeoutMinMs`. */
  readonly checkQuorumMs: number;
}

const DEFAULTS = {
  electionTimeoutMinMs: 150,
  electionTimeoutMaxMs: 300,
  heartbeatMs: 50,
  leaseMs: 100,
  preVote: true,
  checkQuorum: true,
} as const;

export const ElectionSettings = {
  /**
   * The default timings (Raft's: 150-300 ms election timeout, 50 ms heartbeats), overridden by `overrides`.
   * Throws `InvalidElectionSettingsError` for inconsistent values.
   */
  defaults(overrides: Partial<ElectionSettings> = {}): ElectionSettings {
    if (overrides === null || typeof overrides !== 'object') {
      throw new InvalidElectionSettingsError('settings', 'must be an object');
    }
    const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
    const merged = { ...DEFAULTS, ...defined } as Omit<ElectionSettings, 'checkQuorumMs'> & {
      checkQuorumMs?: number;
    };
    const settings: ElectionSettings = {
      ...merged,
      checkQuorumMs: merged.checkQuorumMs ?? merged.electionTimeoutMinMs,
    };
    validate(settings);
    return Object.freeze(settings);
  },
};

function validate(s: ElectionSettings): void {
  const positive = (key: keyof ElectionSettings) => {
    const v = s[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new InvalidElectionSettingsError(key, `must be a finite number > 0, got ${String(v)}`);
    }
  };
  positive('electionTimeoutMinMs');
  positive('electionTimeoutMaxMs');
  positive('heartbeatMs');
  positive('leaseMs');
  positive('checkQuorumMs');
  for (const key of ['preVote', 'checkQuorum'] as const) {
    if (typeof s[key] !== 'boolean') {
      throw new InvalidElectionSettingsError(key, `must be a boolean, got ${String(s[key])}`);
    }
  }
  if (s.electionTimeoutMaxMs < s.electionTimeoutMinMs) {
    throw new InvalidElectionSettingsError('electionTimeoutMaxMs', 'must be >= electionTimeoutMinMs');
  }
  if (s.heartbeatMs >= s.electionTimeoutMinMs) {
    throw new InvalidElectionSettingsError('heartbeatMs', 'must be < electionTimeoutMinMs');
  }
  // The lease is safe only because voters refuse votes for electionTimeoutMinMs after hearing a leader.
  if (s.leaseMs >= s.electionTimeoutMinMs) {
    throw new InvalidElectionSettingsError('leaseMs', 'must be < electionTimeoutMinMs');
  }
}
