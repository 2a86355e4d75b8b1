/**
 * Base class of every error leader election raises. `code` is stable and machine-readable (`LEADER_ERR_*`):
 * match on it (or on the class), never on the message text.
 *
 * @example
 * ```ts
 * try { startLeaderElection(node, { voters: [] }); }
 * catch (e) { if (e instanceof LeaderElectionError && e.code === 'LEADER_ERR_INVALID_VOTERS') usage(); }
 * ```
 */
export class LeaderElectionError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A setting is out of range or inconsistent with another (a lease as long as the election timeout...). */
export class InvalidElectionSettingsError extends LeaderElectionError {
  constructor(
    readonly setting: string,
    detail: string,
  ) {
    super('LEADER_ERR_INVALID_SETTINGS', `invalid election setting ${setting}: ${detail}`);
  }
}

/** The voters are missing, empty, not node addresses, or given together with a cluster. */
export class InvalidVotersError extends LeaderElectionError {
  constructor(detail: string) {
    super('LEADER_ERR_INVALID_VOTERS', `invalid voters: ${detail}`);
  }
}

/** A singleton's options are wrong (no name, no behaviour factory, a buffer size below 1...). */
export class InvalidSingletonOptionsError extends LeaderElectionError {
  constructor(detail: string) {
    super('LEADER_ERR_INVALID_SINGLETON', `invalid singleton options: ${detail}`);
  }
}

/** The election has been stopped: it can no longer start a singleton. */
export class LeaderElectionStoppedError extends LeaderElectionError {
  constructor(address: string) {
    super('LEADER_ERR_STOPPED', `the leader election on ${address} has stopped`);
  }
}
