/**
 * `@troupe/transport-memory`: a `Transport` for many nodes in one process, over a network that drops,
 * duplicates, reorders, delays, partitions and crashes on demand, from a seed.
 */
export type { DeliveryScheduler } from './DeliveryScheduler';
export type { Faults } from './Faults';
export { MemoryNetwork, type MemoryNetworkOptions, type NetworkStats } from './MemoryNetwork';
// Type only: a transport comes from `net.transport()`, which ties it to its network.
export type { MemoryTransport, MemoryTransportOptions } from './MemoryTransport';
