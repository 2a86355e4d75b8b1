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
}

export interface DeleteRequest {
  readonly type: 'cache/delete';
  readonly key: string;
  readonly consistency: Consistency;
  readonly timeoutMs: number;
  readonly replyTo: ActorRef<CacheReply>;
}

export type ClientRequest = GetRequest | PutRequest | DeleteRequest;

/** A coordinator's answer. `code`/`reason` are set when `ok` is false. */
export interface CacheReply {
  readonly type: 'cache/reply';
  readonly ok: boolean;
  readonly found: boolean;
  readonly value: unknown;
  readonly code: string | null;
  readonly reason: string | null;
}

// ---------------------------------------------------------------- coordinator ↔ replica

/** An entry on the wire: `Entry` with `value` null for tombstones. */
export type WireEntry = Entry;

/** A replica's answer to a read (also built locally when the coordinator is a replica). */
export interface ReadReply {
  readonly id: number;
  readonly from: string;
  /** False while the replica is recovering: its answer must not count. */
  readonly ready: boolean;
  readonly entry: WireEntry | null;
}

/** A replica's answer to a write. */
export interface WriteReply {
  readonly id: number;
  readonly from: string;
  readonly key: string;
  readonly ready: boolean;
  readonly accepted: boolean;
  /** The version the replica holds for the key after the write (null: none). */
  readonly held: Timestamp | null;
}

/** A read of one key at a replica. */
export interface ReadItem {
  readonly id: number;
  readonly key: string;
}

/**
 * A write to a replica. `strict` (a client's write): accepted only if its timestamp is at least the version the
 * replica holds; otherwise refused with that version, and the coordinator retries above it. Not strict (read
 * write-back, read repair, hints, handoff): merged last-writer-wins.
 */
export interface WriteItem {
  readonly id: number;
  readonly key: string;
  readonly entry: WireEntry;
  readonly strict: boolean;
}

/**
 * Reads and writes from one coordinator to one replica, gathered while the coordinator handled the messages
 * already in its mailbox: with many requests in flight, one message carries many of them each way.
 */
export interface ReplicaBatch {
  readonly type: 'cache/batch';
  readonly from: string;
  readonly reads: readonly ReadItem[];
  readonly writes: readonly WriteItem[];
  readonly replyTo: ActorRef<PeerMessage>;
}

/** A replica's answers to one batch. */
export interface ReplicaReplies {
  readonly type: 'cache/replies';
  readonly from: string;
  readonly ready: boolean;
  readonly reads: ReadonlyArray<{ readonly id: number; readonly entry: WireEntry | null }>;
  readonly writes: ReadonlyArray<{
    readonly id: number;
    readonly key: string;
    readonly accepted: boolean;
    readonly held: Timestamp | null;
  }>;
}

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

export type ReplicaReply = ReadReply | WriteReply;
export type PeerMessage =
  ReplicaBatch | ReplicaReplies | SyncRequest | SyncChunk | AntiEntropyTree | AntiEntropyEntries;

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
          isString(m.key) && isConsistency(m.consistency) && isTimeout(m.timeoutMs) && isActorRef(m.replyTo),
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
          isActorRef(m.replyTo),
      ),
    )
    .register(
      messageType<DeleteRequest>(
        'cache/delete',
        (m) =>
          isString(m.key) && isConsistency(m.consistency) && isTimeout(m.timeoutMs) && isActorRef(m.replyTo),
      ),
    )
    .register(
      messageType<CacheReply>(
        'cache/reply',
        (m) =>
          typeof m.ok === 'boolean' &&
          typeof m.found === 'boolean' &&
          'value' in m &&
          (m.code === null || isString(m.code)) &&
          (m.reason === null || isString(m.reason)),
      ),
    )
    .register(
      messageType<ReplicaBatch>(
        'cache/batch',
        (m) =>
          isString(m.from) &&
          Array.isArray(m.reads) &&
          m.reads.every((r) => isPlainObject(r) && isId(r.id) && isString(r.key)) &&
          Array.isArray(m.writes) &&
          m.writes.every(
            (w) =>
              isPlainObject(w) &&
              isId(w.id) &&
              isString(w.key) &&
              isWireEntry(w.entry) &&
              typeof w.strict === 'boolean',
          ) &&
          isActorRef(m.replyTo),
      ),
    )
    .register(
      messageType<ReplicaReplies>(
        'cache/replies',
        (m) =>
          isString(m.from) &&
          typeof m.ready === 'boolean' &&
          Array.isArray(m.reads) &&
          m.reads.every(
            (r) => isPlainObject(r) && isId(r.id) && (r.entry === null || isWireEntry(r.entry)),
          ) &&
          Array.isArray(m.writes) &&
          m.writes.every(
            (w) =>
              isPlainObject(w) &&
              isId(w.id) &&
              isString(w.key) &&
              typeof w.accepted === 'boolean' &&
              (w.held === null || isTimestamp(w.held)),
          ),
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
