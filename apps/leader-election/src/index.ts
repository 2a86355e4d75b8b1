/**
 * `@troupe/leader-election`: Raft-style leader election for Troupe nodes (terms, RequestVote with a majority,
 * randomized election timeouts, heartbeats, pre-vote, check-quorum, leader leases), a fencing token for whoever
 * leads, and a cluster singleton reachable from every node through a buffering proxy. Each node's role is an
 * xstate machine run by `@troupe/xstate`; time and randomness come from the actor system, so the whole thing
 * runs under `simulate()`.
 */
export {
  type LeaderChange,
  type LeaderElection,
  type LeaderElectionOptions,
  type LeaseGrant,
  type Role,
  startLeaderElection,
  votersOf,
} from './LeaderElection';
export { ElectionSettings } from './ElectionSettings';
export {
  type ElectionStorage,
  fileStorage,
  memoryStorage,
  type PersistedElectionState,
} from './ElectionStorage';
export { type Singleton, type SingletonOptions, startSingleton } from './Singleton';
export {
  InvalidElectionSettingsError,
  InvalidSingletonOptionsError,
  InvalidVotersError,
  LeaderElectionError,
  LeaderElectionStoppedError,
} from './LeaderElectionError';
export {
  type Heartbeat,
  type HeartbeatAck,
  type Hello,
  isNodeAddress,
  type PreVoteReply,
  type PreVoteRequest,
  type RaftMessage,
  registerElectionProtocol,
  type VoteReply,
  type VoteRequest,
} from './internal/protocol';
