import type { ActorRef } from '@troupe/core';
import { isActorRef, isPlainObject, messageType, type Serialization } from '@troupe/remote';
import { CONSISTENCIES, type Consistency } from '../CacheSettings';
import type { Entry } from '../EntryStore';
import { isTimestamp, type Timestamp } from '../HybridLogicalClock';

// ---------------------------------------------------------------- client ↔ coordinator

export interface GetRequest {
  readonly type: 'cache/get';
  readonly key: string;
  readonly consistency: Consistency;
  readonly timeoutMs: number;
  readonly replyTo: ActorRef<CacheReply>;
  /** Echoed in the reply: a client that sends all its requests to one reply-to ref tells them apart by it. */
  readonly id: number;
}

export interface PutRequest {
  readonly type: 'cache/put';
  readonly key: string;
  readonly value: unknown;
  readonly consistency: Consistency;
  /** 0: no expiry. */
  readonly ttlMs: number;
  readonly timeoutMs: number;
  readonly replyTo: ActorRef<CacheReply>;
  /** Echoed in the reply: a client that sends all its requests to one reply-to ref tells them apart by it. */
  readonly id: number;
}

export interface DeleteRequest {
  readonly type: 'cache/delete';
  readonly key: string;
  readonly consistency: Consistency;
  readonly timeoutMs: number;
  readonly replyTo: ActorRef<CacheReply>;
  /** Echoed in the reply: a client that sends all its requests to one reply-to ref tells them apart by it. */
  readonly id: number;
}

export type ClientRequest = GetRequest | PutRequest | DeleteRequest;

/** A coordinator's answer. `code`/`reason` are set when `ok` is false. */
export interface CacheReply {
  readonly type: 'cache/reply';
  /** The request's id. */
  readonly id: number;
  readonly ok: boolean;
  readonly found: boolean;
  readonly value: unknown;
  readonly code: string | null;
  readonly reason: string | null;
}

/**
 * The requests a remote client made while its process ran one turn, for one coordinator, in one message: with
 * many requests in flight, one envelope to encode, send, decode and deliver instead of one per request. Flat,
 * as {@link ReplicaBatch}.
 */
export interface ClientRequestBatch {
  readonly type: 'cache/requests';
  /**
   * Per request: `kind, id, key, consistency, timeoutMs, ttlMs, value`: `kind` {@link REQUEST_GET},
   * {@link REQUEST_PUT} or {@link REQUEST_DELETE}; `ttlMs` 0 and `value` null but for puts.
   */
  readonly items: readonly unknown[];
  readonly replyTo: ActorRef<CacheReplyBatch>;
}

/**
 * What an item of a message between nodes (or from a client) is counted as, to keep each message under
 * `maxMessageBytes`: its key at worst three bytes a character, its value's bytes, and a fixed overhead.
 */
export const itemBytes = (key: string, valueBytes = 0): number => key.length * 3 + valueBytes + 64;

/** Strings no longer than this are looked at character by character; longer ones go through `JSON.stringify`. */
const PLAIN_STRING_MAX = 256;

/**
 * The UTF-8 bytes of a string's JSON when it is short and printable ASCII without `"` or `\` (its JSON is then
 * the string in quotes), without building the JSON: what a put's value costs to measure on the client and on every
 * coordinator. Undefined for anything else, which `JSON.stringify` measures.
 *
 * @example
 * ```ts
 * plainStringJsonBytes('abc'); // 5, as Buffer.byteLength(JSON.stringify('abc'))
 * plainStringJsonBytes('a"b'); // undefined: escaped in JSON
 * ```
 */
export function plainStringJsonBytes(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.length > PLAIN_STRING_MAX) return undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return undefined;
  }
  return value.length + 2;
}

export const REQUEST_STRIDE = 7;
export const REQUEST_GET = 0;
export const REQUEST_PUT = 1;
export const REQUEST_DELETE = 2;

/** A coordinator's answers to batched requests, gathered per turn as well, by kind, flat. */
export interface CacheReplyBatch {
  readonly type: 'cache/reply-batch';
  /** Ids of the requests that succeeded with nothing to return: writes, deletes, reads that found nothing. */
  readonly done: readonly number[];
  /** Per read that found a value: `id, value`. */
  readonly found: readonly unknown[];
  /** Per request that failed: `id, code, reason`. */
  readonly failed: readonly unknown[];
}

export const FOUND_STRIDE = 2;
export const FAILED_STRIDE = 3;

// ---------------------------------------------------------------- coordinator ↔ replica

/** An entry on the wire: `Entry` with `value` null for tombstones. */
export type WireEntry = Entry;

/**
 * Reads and writes from one coordinator to one replica, gathered while the coordinator handled the messages
 * already in its mailbox: with many requests in flight, one message carries many of them each way. Items are
 * laid out flat (fixed strides of plain values, see {@link READ_STRIDE} and {@link WRITE_STRIDE}) rather than as
 * an object each: a batch of a hundred items is then a handful of arrays to encode, decode and check, with no
 * field names repeated per item.
 */
export interface ReplicaBatch {
  readonly type: 'cache/batch';
  readonly from: string;
  /**
   * Per read: `id, key, wall, logical, node`. The timestamp is the version the coordinator holds itself (its
   * digest; `node` '' when it has none to offer): a replica holding that very version answers "same" instead of
   * sending the entry back.
   */
  readonly reads: readonly unknown[];
  /**
   * Per write's first phase: `id, key, wall, logical, node`: which version does the replica hold, if above this
   * one (the coordinator's own; `node` '' for none)?
   */
  readonly versions: readonly unknown[];
  /**
   * Per write: `id, key, deleted (0/1), wall, logical, node, expiresAt, size, value`, merged last-writer-wins
   * (a client's write in its second phase, a read's write-back, a read repair, a hint, a handoff).
   */
  readonly writes: readonly unknown[];
  /**
   * Set when every write in the batch has been stored by this node, the holder of a write lease that refused
   * them before (see {@link ReplicaReplies.refused}).
   */
  readonly confirmedBy?: string;
  readonly replyTo: ActorRef<PeerMessage>;
}

export const READ_STRIDE = 5;
export const VERSION_STRIDE = 5;
export const WRITE_STRIDE = 9;

/** A replica's answers to one batch, flat as well. */
export interface ReplicaReplies {
  readonly type: 'cache/replies';
  readonly from: string;
  /** False while the replica is recovering: its answers must not count. */
  readonly ready: boolean;
  /** Per read: `id, answer`: {@link READ_SAME} (the digest's version), {@link READ_NONE}, or {@link READ_ENTRY}. */
  readonly reads: readonly number[];
  /** Per {@link READ_ENTRY} answer, in order: `wall, logical, node, deleted (0/1), expiresAt, size, value`. */
  readonly entries: readonly unknown[];
  /** Ids of the versions asked for where the replica holds none above the one offered: the common answer. */
  readonly current: readonly number[];
  /** Per other version asked for: `id, wall, logical, node`, the one the replica holds, above the one offered. */
  readonly versions: readonly unknown[];
  /**
   * Ids of the writes of an operation (id > 0) after which the replica holds the version written: the common
   * answer (the coordinator knows what it sent).
   */
  readonly acks: readonly number[];
  /**
   * Per other write: `id, wall, logical, node, key`: the version the replica holds for the key after the write
   * (newer than the one written, or the answer to a write of no operation, id 0: hints, repairs); `key` only for
   * id 0.
   */
  readonly writes: readonly unknown[];
  /**
   * Per write refused (absent when none): `id, holder`: the key is under `holder`'s write lease, and the write
   * is stamped above what this replica held when it granted it. Sent again with `confirmedBy: holder` once the
   * holder has stored it, it is accepted.
   */
  readonly refused?: readonly unknown[];
}

export const REPLY_READ_STRIDE = 2;
export const REPLY_REFUSED_STRIDE = 2;
export const ENTRY_STRIDE = 7;
export const REPLY_VERSION_STRIDE = 4;
export const REPLY_WRITE_STRIDE = 5;
export const READ_SAME = 0;
export const READ_NONE = 1;
export const READ_ENTRY = 2;

export interface SyncRequest {
  readonly type: 'cache/sync-request';
  readonly round: number;
  readonly from: string;
  readonly replyTo: ActorRef<PeerMessage>;
}

export interface SyncChunk {
  readonly type: 'cache/sync-chunk';
  readonly round: number;
  readonly from: string;
  readonly index: number;
  readonly count: number;
  readonly floor: Timestamp | null;
  readonly entries: ReadonlyArray<readonly [string, WireEntry]>;
}

export interface AntiEntropyTree {
  readonly type: 'cache/ae-tree';
  readonly from: string;
  readonly depth: number;
  readonly nodes: readonly number[];
  readonly replyTo: ActorRef<PeerMessage>;
}

export interface AntiEntropyEntries {
  readonly type: 'cache/ae-entries';
  readonly from: string;
  readonly entries: ReadonlyArray<readonly [string, WireEntry]>;
  /** Buckets whose entries the sender wants back. */
  readonly want: readonly number[];
  readonly replyTo: ActorRef<PeerMessage>;
}

/**
 * A coordinator asks the other replicas of a replica set for a write lease over its keys, on the ring whose
 * members are `ring` (space-separated, as the ring sorts them); renewed by asking again.
 */
export interface LeaseRequest {
  readonly type: 'cache/lease-request';
  readonly from: string;
  readonly round: number;
  readonly ring: string;
  /** The replica set: its members sorted, space-separated. */
  readonly set: string;
  readonly replyTo: ActorRef<PeerMessage>;
}

/** The answer: whether granted, and the granter's clock, which the asker's clock takes in either way. */
export interface LeaseGrant {
  readonly type: 'cache/lease-grant';
  readonly from: string;
  readonly round: number;
  readonly granted: boolean;
  readonly clock: Timestamp;
}

export type PeerMessage =
  | ReplicaBatch
  | ReplicaReplies
  | SyncRequest
  | SyncChunk
  | AntiEntropyTree
  | AntiEntropyEntries
  | LeaseRequest
  | LeaseGrant;

// ---------------------------------------------------------------- validators

const isString = (v: unknown): v is string => typeof v === 'string';
const isId = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isConsistency = (v: unknown): boolean => CONSISTENCIES.includes(v as Consistency);
const isTimeout = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) > 0;

export function isWireEntry(v: unknown): v is WireEntry {
  if (!isPlainObject(v)) return false;
  return (
    isTimestamp(v.ts) &&
    typeof v.deleted === 'boolean' &&
    'value' in v &&
    (!v.deleted || v.value === null) &&
    Number.isSafeInteger(v.expiresAt) &&
    (v.expiresAt as number) >= 0 &&
    Number.isSafeInteger(v.size) &&
    (v.size as number) >= 0
  );
}

const isNat = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

/** `wall, logical, node` at `a[i]`: a timestamp, or (`node` '', when `allowNone`) none. */
function isFlatTimestamp(a: readonly unknown[], i: number, allowNone: boolean): boolean {
  return (
    Number.isSafeInteger(a[i]) &&
    isNat(a[i + 1]) &&
    isString(a[i + 2]) &&
    (allowNone || (a[i + 2] as string).length > 0)
  );
}

function isBatch(m: Record<string, unknown>): boolean {
  const { reads, writes } = m;
  if (!Array.isArray(reads) || reads.length % READ_STRIDE !== 0) return false;
  for (let i = 0; i < reads.length; i += READ_STRIDE)
    if (!isId(reads[i]) || !isString(reads[i + 1]) || !isFlatTimestamp(reads, i + 2, true)) return false;
  const { versions } = m;
  if (!Array.isArray(versions) || versions.length % VERSION_STRIDE !== 0) return false;
  for (let i = 0; i < versions.length; i += VERSION_STRIDE)
    if (!isId(versions[i]) || !isString(versions[i + 1]) || !isFlatTimestamp(versions, i + 2, true))
      return false;
  if (!Array.isArray(writes) || writes.length % WRITE_STRIDE !== 0) return false;
  for (let i = 0; i < writes.length; i += WRITE_STRIDE) {
    const deleted = writes[i + 2];
    if (!isId(writes[i]) || !isString(writes[i + 1]) || !(deleted === 0 || deleted === 1)) return false;
    if (!isFlatTimestamp(writes, i + 3, false) || !isNat(writes[i + 6]) || !isNat(writes[i + 7]))
      return false;
    if (deleted === 1 && writes[i + 8] !== null) return false;
  }
  return true;
}

function isReplies(m: Record<string, unknown>): boolean {
  const { reads, entries, writes } = m;
  if (typeof m.ready !== 'boolean') return false;
  if (!Array.isArray(reads) || reads.length % REPLY_READ_STRIDE !== 0) return false;
  let wanted = 0;
  for (let i = 0; i < reads.length; i += REPLY_READ_STRIDE) {
    const answer = reads[i + 1] as number;
    if (!isId(reads[i]) || !(answer === READ_SAME || answer === READ_NONE || answer === READ_ENTRY))
      return false;
    if (answer === READ_ENTRY) wanted++;
  }
  if (!Array.isArray(entries) || entries.length !== wanted * ENTRY_STRIDE) return false;
  for (let i = 0; i < entries.length; i += ENTRY_STRIDE) {
    const deleted = entries[i + 3];
    if (!isFlatTimestamp(entries, i, false) || !(deleted === 0 || deleted === 1)) return false;
    if (!isNat(entries[i + 4]) || !isNat(entries[i + 5]) || (deleted === 1 && entries[i + 6] !== null))
      return false;
  }
  const { versions, current, acks } = m;
  if (!isIdList(current) || !isIdList(acks)) return false;
  if (!Array.isArray(versions) || versions.length % REPLY_VERSION_STRIDE !== 0) return false;
  for (let i = 0; i < versions.length; i += REPLY_VERSION_STRIDE)
    if (!isId(versions[i]) || !isFlatTimestamp(versions, i + 1, false)) return false;
  if (!Array.isArray(writes) || writes.length % REPLY_WRITE_STRIDE !== 0) return false;
  for (let i = 0; i < writes.length; i += REPLY_WRITE_STRIDE)
    if (!isId(writes[i]) || !isFlatTimestamp(writes, i + 1, false) || !isString(writes[i + 4])) return false;
  const { refused } = m;
  if (refused === undefined) return true;
  if (!Array.isArray(refused) || refused.length % REPLY_REFUSED_STRIDE !== 0) return false;
  for (let i = 0; i < refused.length; i += REPLY_REFUSED_STRIDE)
    if (!isId(refused[i]) || !isString(refused[i + 1])) return false;
  return true;
}

function isIdList(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (const id of v) if (!isId(id)) return false;
  return true;
}

function isRequestBatch(m: Record<string, unknown>): boolean {
  const { items } = m;
  if (!Array.isArray(items) || items.length % REQUEST_STRIDE !== 0) return false;
  for (let i = 0; i < items.length; i += REQUEST_STRIDE) {
    const kind = items[i];
    if (!(kind === REQUEST_GET || kind === REQUEST_PUT || kind === REQUEST_DELETE)) return false;
    if (!isId(items[i + 1]) || !isString(items[i + 2]) || !isConsistency(items[i + 3])) return false;
    if (!isTimeout(items[i + 4]) || !isNat(items[i + 5])) return false;
    if (kind !== REQUEST_PUT && (items[i + 5] !== 0 || items[i + 6] !== null)) return false;
  }
  return true;
}

function isReplyBatch(m: Record<string, unknown>): boolean {
  const { done, found, failed } = m;
  if (!isIdList(done)) return false;
  if (!Array.isArray(found) || found.length % FOUND_STRIDE !== 0) return false;
  for (let i = 0; i < found.length; i += FOUND_STRIDE) if (!isId(found[i])) return false;
  if (!Array.isArray(failed) || failed.length % FAILED_STRIDE !== 0) return false;
  for (let i = 0; i < failed.length; i += FAILED_STRIDE)
    if (!isId(failed[i]) || !isString(failed[i + 1]) || !isString(failed[i + 2])) return false;
  return true;
}

function isEntryList(v: unknown): boolean {
  return (
    Array.isArray(v) &&
    v.every((p) => Array.isArray(p) && p.length === 2 && isString(p[0]) && isWireEntry(p[1]))
  );
}

const registered = new WeakSet<Serialization>();

/**
 * Registers the cache's messages (once per serialization): what a node serving the cache, or a process using
 * `createCacheClient`, needs.
 */
export function registerCacheProtocol(serialization: Serialization): Serialization {
  if (registered.has(serialization)) return serialization;
  registered.add(serialization);
  return serialization
    .register(
      messageType<GetRequest>(
        'cache/get',
        (m) =>
          isString(m.key) &&
          isConsistency(m.consistency) &&
          isTimeout(m.timeoutMs) &&
          isActorRef(m.replyTo) &&
          isId(m.id),
      ),
    )
    .register(
      messageType<PutRequest>(
        'cache/put',
        (m) =>
          isString(m.key) &&
          'value' in m &&
          isConsistency(m.consistency) &&
          Number.isSafeInteger(m.ttlMs) &&
          (m.ttlMs as number) >= 0 &&
          isTimeout(m.timeoutMs) &&
          isActorRef(m.replyTo) &&
          isId(m.id),
      ),
    )
    .register(
      messageType<DeleteRequest>(
        'cache/delete',
        (m) =>
          isString(m.key) &&
          isConsistency(m.consistency) &&
          isTimeout(m.timeoutMs) &&
          isActorRef(m.replyTo) &&
          isId(m.id),
      ),
    )
    .register(
      messageType<CacheReply>(
        'cache/reply',
        (m) =>
          isId(m.id) &&
          typeof m.ok === 'boolean' &&
          typeof m.found === 'boolean' &&
          'value' in m &&
          (m.code === null || isString(m.code)) &&
          (m.reason === null || isString(m.reason)),
      ),
    )
    .register(
      messageType<ClientRequestBatch>('cache/requests', (m) => isRequestBatch(m) && isActorRef(m.replyTo)),
    )
    .register(messageType<CacheReplyBatch>('cache/reply-batch', (m) => isReplyBatch(m)))
    .register(
      messageType<ReplicaBatch>(
        'cache/batch',
        (m) =>
          isString(m.from) &&
          isBatch(m) &&
          (m.confirmedBy === undefined || isString(m.confirmedBy)) &&
          isActorRef(m.replyTo),
      ),
    )
    .register(messageType<ReplicaReplies>('cache/replies', (m) => isString(m.from) && isReplies(m)))
    .register(
      messageType<LeaseRequest>(
        'cache/lease-request',
        (m) =>
          isString(m.from) && isId(m.round) && isString(m.ring) && isString(m.set) && isActorRef(m.replyTo),
      ),
    )
    .register(
      messageType<LeaseGrant>(
        'cache/lease-grant',
        (m) => isString(m.from) && isId(m.round) && typeof m.granted === 'boolean' && isTimestamp(m.clock),
      ),
    )
    .register(
      messageType<SyncRequest>(
        'cache/sync-request',
        (m) => isId(m.round) && isString(m.from) && isActorRef(m.replyTo),
      ),
    )
    .register(
      messageType<SyncChunk>(
        'cache/sync-chunk',
        (m) =>
          isId(m.round) &&
          isString(m.from) &&
          isId(m.index) &&
          Number.isSafeInteger(m.count) &&
          (m.count as number) > (m.index as number) &&
          (m.floor === null || isTimestamp(m.floor)) &&
          isEntryList(m.entries),
      ),
    )
    .register(
      messageType<AntiEntropyTree>(
        'cache/ae-tree',
        (m) =>
          isString(m.from) &&
          Number.isInteger(m.depth) &&
          (m.depth as number) >= 0 &&
          (m.depth as number) <= 16 &&
          Array.isArray(m.nodes) &&
          m.nodes.length === 2 * (1 << (m.depth as number)) - 1 &&
          isActorRef(m.replyTo),
      ),
    )
    .register(
      messageType<AntiEntropyEntries>(
        'cache/ae-entries',
        (m) =>
          isString(m.from) &&
          isEntryList(m.entries) &&
          Array.isArray(m.want) &&
          m.want.every((b) => Number.isInteger(b) && (b as number) >= 0) &&
          isActorRef(m.replyTo),
      ),
    );
}
