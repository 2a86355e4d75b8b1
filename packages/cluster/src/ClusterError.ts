/**
 * Base class of every error the cluster raises. `code` is stable and machine-readable (`CLUSTER_ERR_*`): match
 * on it (or on the class), never on the message text.
 *
 * @example
 * ```ts
 * try { startCluster(node, { seeds }); }
 * catch (e) { if (e instanceof ClusterError && e.code === 'CLUSTER_ERR_INVALID_SEED') usage(); }
 * ```
 */
export class ClusterError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A setting is out of range (a non-positive interval, a quorum of zero...). */
export class InvalidClusterSettingsError extends ClusterError {
  constructor(
    readonly setting: string,
    detail: string,
  ) {
    super('CLUSTER_ERR_INVALID_SETTINGS', `invalid cluster setting ${setting}: ${detail}`);
  }
}

/** A seed is not a node address (`troupe://system@host:port`), or belongs to another actor system. */
export class InvalidSeedError extends ClusterError {
  constructor(
    readonly seed: string,
    detail: string,
  ) {
    super('CLUSTER_ERR_INVALID_SEED', `invalid seed ${JSON.stringify(seed)}: ${detail}`);
  }
}

/** An address given to `down` is not a node address. */
export class InvalidMemberAddressError extends ClusterError {
  constructor(readonly address: string) {
    super('CLUSTER_ERR_INVALID_ADDRESS', `not a node address: ${JSON.stringify(address)}`);
  }
}

/** `startCluster` was called twice for one node. */
export class ClusterAlreadyStartedError extends ClusterError {
  constructor(readonly address: string) {
    super('CLUSTER_ERR_ALREADY_STARTED', `a cluster is already running on ${address}`);
  }
}

/** The node stopped before the operation could complete (for `leave`: before it was removed). */
export class ClusterStoppedError extends ClusterError {
  constructor(readonly address: string) {
    super('CLUSTER_ERR_STOPPED', `the cluster on ${address} has stopped`);
  }
}

/** The actor system offers no `/system` guardian to start the cluster's actors under. */
export class ClusterInternalError extends ClusterError {
  constructor(detail: string, cause?: unknown) {
    super('CLUSTER_ERR_INTERNAL', detail, { cause });
  }
}
