/**
 * `@troupe/demo`: Troupe at work in one command. Starts a local cluster of node processes over WebSocket,
 * running leader election with a singleton and a replicated cache, and a live dashboard to watch and break it.
 */
export { type Demo, type DemoOptions, startDemo } from './startDemo';
export { DemoError, InvalidActionError } from './DemoError';
export { PartitionableTransport } from './PartitionableTransport';
export type { DemoCluster, DashboardState, NodeView, LeaderView, CacheResult } from './internal/DemoCluster';
export type { DashboardAction } from './internal/DashboardServer';
export type { Consistency, NodeStatus } from './internal/protocol';
