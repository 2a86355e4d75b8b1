import {
  type ActorRef,
  ask,
  AskTimeoutError,
  RecipientTerminatedError,
  SystemTerminatedError,
} from '@troupe/core';
import type { RemoteNode } from '@troupe/remote';
import {
  CacheStoppedError,
  CacheTimeoutError,
  errorFromCode,
  InvalidConsistencyError,
  InvalidKeyError,
  InvalidOptionError,
  KeyTooLongError,
} from './CacheError';
import { CacheSettings, CONSISTENCIES, type Consistency } from './CacheSettings';
import { CACHE_ACTOR_NAME } from './internal/CacheActor';
import { type CacheReply, type ClientRequest, registerCacheProtocol } from './internal/protocol';

/** Options of a read. */
export interface GetOptions {
  /** How many replicas must answer. Default: the node's `defaultConsistency` (quorum). */
  consistency?: Consistency;
  /** How long the coordinator waits for replicas. Default: `requestTimeoutMs`. */
  timeoutMs?: number;
}

/** Options of a write. */
export interface PutOptions extends GetOptions {
  /** The key expires this long after the write. Default: never. */
  ttlMs?: number;
}

export type DeleteOptions = GetOptions;

/**
 * A typed client of the cache: every call goes as a message to a coordinator node's cache actor, which talks to
 * the key's replicas. Errors are {@link CacheError}s with stable codes.
 *
 * @example
 * ```ts
 * await client.put('user:42', { name: 'Ada' }, { ttlMs: 60_000 });
 * const user = await client.get<{ name: string }>('user:42');      // quorum read
 * await client.delete('user:42', { consistency: 'all' });
 * ```
 */
export interface CacheClient {
  /** The value, or `undefined` when the key is absent, deleted or expired. */
  get<T = unknown>(key: string, options?: GetOptions): Promise<T | undefined>;
  /** Stores a JSON value. Resolves once the consistency level's replicas have it. */
  put(key: string, value: unknown, options?: PutOptions): Promise<void>;
  /** Deletes a key (a tombstone, purged after the grace period). */
  delete(key: string, options?: DeleteOptions): Promise<void>;
}

/** Extra time the client waits beyond the coordinator's own timeout, for its answer to travel back. */
const REPLY_GRACE_MS = 1000;

/** @internal The client over a ref to a coordinator (local or remote). */
export class ActorCacheClient implements CacheClient {
  constructor(
    private readonly coordinator: ActorRef<ClientRequest>,
    private readonly settings: CacheSettings,
  ) {}

  async get<T = unknown>(key: string, options: GetOptions = {}): Promise<T | undefined> {
    const reply = await this.call(key, options, (consistency, timeoutMs, replyTo) => ({
      type: 'cache/get',
      key,
      consistency,
      timeoutMs,
      replyTo,
    }));
    return reply.found ? (reply.value as T) : undefined;
  }

  async put(key: string, value: unknown, options: PutOptions = {}): Promise<void> {
    const ttlMs = options.ttlMs ?? 0;
    if (options.ttlMs !== undefined && !(Number.isSafeInteger(ttlMs) && ttlMs > 0))
      throw new InvalidOptionError('ttlMs', options.ttlMs);
    await this.call(key, options, (consistency, timeoutMs, replyTo) => ({
      type: 'cache/put',
      key,
      value,
      consistency,
      ttlMs,
      timeoutMs,
      replyTo,
    }));
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    await this.call(key, options, (consistency, timeoutMs, replyTo) => ({
      type: 'cache/delete',
      key,
      consistency,
      timeoutMs,
      replyTo,
    }));
  }

  private async call(
    key: string,
    options: GetOptions,
    make: (consistency: Consistency, timeoutMs: number, replyTo: ActorRef<CacheReply>) => ClientRequest,
  ): Promise<CacheReply> {
    checkKey(key, this.settings.maxKeyLength);
    const consistency = options.consistency ?? this.settings.defaultConsistency;
    if (!CONSISTENCIES.includes(consistency)) throw new InvalidConsistencyError(consistency);
    const timeoutMs = options.timeoutMs ?? this.settings.requestTimeoutMs;
    if (!(Number.isSafeInteger(timeoutMs) && timeoutMs > 0))
      throw new InvalidOptionError('timeoutMs', timeoutMs);
    let reply: CacheReply;
    try {
      reply = await ask<ClientRequest, CacheReply>(
        this.coordinator,
        (replyTo) => make(consistency, timeoutMs, replyTo),
        { timeoutMs: timeoutMs + REPLY_GRACE_MS },
      );
    } catch (e) {
      if (e instanceof AskTimeoutError) throw new CacheTimeoutError(String(this.coordinator), timeoutMs);
      if (e instanceof RecipientTerminatedError || e instanceof SystemTerminatedError)
        throw new CacheStoppedError(String(this.coordinator));
      throw e;
    }
    if (!reply.ok) throw errorFromCode(reply.code ?? 'CACHE_ERR_UNKNOWN', reply.reason ?? '', consistency);
    return reply;
  }
}

/** Checks a key as every node does: a non-empty string of at most `maxLength` characters. */
export function checkKey(key: unknown, maxLength: number): asserts key is string {
  if (typeof key !== 'string') throw new InvalidKeyError(`a ${typeof key}, not a string`);
  if (key.length === 0) throw new InvalidKeyError('empty key');
  if (key.length > maxLength) throw new KeyTooLongError(key.length, maxLength);
}

/**
 * A client for a process that is not a replica: it sends every request to the cache actor of the node at
 * `coordinator` (a node address, `troupe://<system>@<host:port>`), which must run `startCache`. Registers the
 * cache's messages on `node`. `settings` are the limits checked before sending (the coordinator checks again).
 *
 * @example
 * ```ts
 * const node = await createNode({ name: 'cache', transport: new WebSocketTransport({ secret }) });
 * const client = createCacheClient(node, 'troupe://cache@127.0.0.1:4711');
 * await client.put('k', [1, 2, 3]);
 * ```
 */
export function createCacheClient(
  node: RemoteNode,
  coordinator: string,
  settings: Partial<CacheSettings> = {},
): CacheClient {
  registerCacheProtocol(node.serialization);
  const ref = node.refFor<ClientRequest>(`${coordinator}/user/${CACHE_ACTOR_NAME}`);
  return new ActorCacheClient(ref, CacheSettings.defaults(settings));
}
