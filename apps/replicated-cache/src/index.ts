/**
 * `@troupe/replicated-cache`: a replicated in-memory key-value cache on Troupe actors. Keys are placed on a
 * consistent-hash ring with virtual nodes and kept on N replicas; each request chooses its consistency (`one`,
 * `quorum`, `all`); quorum reads and writes are linearizable per key (ABD-style, on hybrid logical clocks), with
 * read repair, hinted handoff, Merkle-tree anti-entropy, TTL, LRU eviction, an HTTP API and a typed client.
 */
export { type CacheNode, type CacheOptions, startCache } from './startCache';
export {
  type CacheClient,
  createCacheClient,
  type DeleteOptions,
  type GetOptions,
  type PutOptions,
} from './CacheClient';
export { type HttpApi, type HttpApiOptions, startHttpApi } from './startHttpApi';
export { CacheSettings, type Consistency, replicasNeeded } from './CacheSettings';
export type { CacheStats } from './CacheStats';
export {
  CacheError,
  CacheStoppedError,
  CacheTimeoutError,
  ConsistencyUnavailableError,
  InvalidCacheSettingsError,
  InvalidConsistencyError,
  InvalidJsonError,
  InvalidKeyError,
  InvalidOptionError,
  InvalidValueError,
  KeyTooLongError,
  ValueTooLargeError,
} from './CacheError';
export { HashRing } from './HashRing';
export {
  compareTimestamps,
  HybridLogicalClock,
  isTimestamp,
  maxTimestamp,
  type Timestamp,
} from './HybridLogicalClock';
export { MerkleTree } from './MerkleTree';
export { type ApplyOutcome, type Entry, EntryStore, type EntryStoreOptions, isLive } from './EntryStore';
export { registerCacheProtocol } from './internal/protocol';
export { CACHE_ACTOR_NAME } from './internal/CacheActor';
export { type CacheReport, cacheScenario, type CacheScenarioOptions } from './simulation/cacheScenario';
