/**
 * `@troupe/cluster`: membership for Troupe nodes, after Akka Cluster. Nodes join through seeds, gossip their
 * view (members, reachability, a vector clock, who has seen it), detect failures with phi-accrual heartbeats,
 * resolve partitions with keep-majority (or a static quorum), and share a cluster-wide receptionist. Runs over
 * any `@troupe/remote` transport.
 */
export { type Cluster, type ClusterOptions, startCluster } from './Cluster';
export { ClusterSettings, type DowningStrategy } from './ClusterSettings';
export type { ClusterEvent, ClusterEventType, ClusterState } from './ClusterEvent';
export type { Member, MemberInfo, MemberStatus } from './Member';
export { PhiAccrualFailureDetector, type PhiAccrualOptions, phiOf } from './PhiAccrualFailureDetector';
export { decideDowning, type DowningDecision } from './internal/downing';
export {
  ClusterAlreadyStartedError,
  ClusterError,
  ClusterInternalError,
  ClusterStoppedError,
  InvalidClusterSettingsError,
  InvalidMemberAddressError,
  InvalidSeedError,
} from './ClusterError';
