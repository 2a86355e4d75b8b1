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
  InvalidCacheSettingsError,
  InvalidConsistencyError,
  InvalidKeyError,
  InvalidOptionError,
  KeyTooLongError,
} from './CacheError';
import { CacheSettings, CONSISTENCIES, type Consistency } from './CacheSettings';
import { CACHE_ACTOR_NAME } from './internal/CacheActor';
import {
  type CacheReply,
  type ClientRequest,
  type ClientRequestBatch,
  itemBytes,
  plainStringJsonBytes,
  registerCacheProtocol,
  REQUEST_DELETE,
  REQUEST_GET,
  REQUEST_PUT,
} from './internal/protocol';
import { ReplyRouter } from './internal/ReplyRouter';
import { HashRing } from './HashRing';

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

/**
 * @internal The client over refs to coordinators: `coordinatorOf(key)` picks the one for a key. Without a router
 * (a coordinator in the same system), each request is an ask; with one (remote coordinators), requests share the
 * router's reply-to actor.
 */
export class ActorCacheClient implements CacheClient {
  constructor(
    private readonly coordinatorOf: (key: string) => ActorRef<ClientRequest>,
    private readonly settings: CacheSettings,
    private readonly router?: ReplyRouter,
  ) {}

  async get<T = unknown>(key: string, options: GetOptions = {}): Promise<T | undefined> {
    const reply = await this.call(REQUEST_GET, key, options, null, 0, 0);
    return reply.found ? (reply.value as T) : undefined;
  }

  async put(key: string, value: unknown, options: PutOptions = {}): Promise<void> {
    const ttlMs = options.ttlMs ?? 0;
    if (options.ttlMs !== undefined && !(Number.isSafeInteger(ttlMs) && ttlMs > 0))
      throw new InvalidOptionError('ttlMs', options.ttlMs);
    const { copy, bytes } = jsonCopy(value);
    await this.call(REQUEST_PUT, key, options, copy, bytes, ttlMs);
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    await this.call(REQUEST_DELETE, key, options, null, 0, 0);
  }

  /**
   * `kind`: {@link REQUEST_GET}, {@link REQUEST_PUT} or {@link REQUEST_DELETE}; `value`, `valueBytes` (UTF-8
   * bytes of its JSON) and `ttlMs`: a put's, null and 0 for the others. A batched request's fields go straight
   * into its batch, never through a request object.
   */
  private async call(
    kind: number,
    key: string,
    options: GetOptions,
    value: unknown,
    valueBytes: number,
    ttlMs: number,
  ): Promise<CacheReply> {
    checkKey(key, this.settings.maxKeyLength);
    const consistency = options.consistency ?? this.settings.defaultConsistency;
    if (!CONSISTENCIES.includes(consistency)) throw new InvalidConsistencyError(consistency);
    const timeoutMs = options.timeoutMs ?? this.settings.requestTimeoutMs;
    if (!(Number.isSafeInteger(timeoutMs) && timeoutMs > 0))
      throw new InvalidOptionError('timeoutMs', timeoutMs);
    const coordinator = this.coordinatorOf(key);
    const router = this.router;
    let reply: CacheReply;
    try {
      reply = router
        ? await router.batched(
            coordinator as unknown as ActorRef<ClientRequestBatch>,
            (id, items) => items.push(kind, id, key, consistency, timeoutMs, ttlMs, value),
            timeoutMs + REPLY_GRACE_MS,
            itemBytes(key, valueBytes),
          )
        : await ask<ClientRequest, CacheReply>(
            coordinator,
            (replyTo) => requestOf(kind, key, consistency, timeoutMs, ttlMs, value, replyTo),
            { timeoutMs: timeoutMs + REPLY_GRACE_MS },
          );
    } catch (e) {
      if (e instanceof AskTimeoutError) throw new CacheTimeoutError(String(coordinator), timeoutMs);
      if (e instanceof RecipientTerminatedError || e instanceof SystemTerminatedError)
        throw new CacheStoppedError(String(coordinator));
      throw e;
    }
    if (!reply.ok) throw errorFromCode(reply.code ?? 'CACHE_ERR_UNKNOWN', reply.reason ?? '', consistency);
    return reply;
  }
}

/** A request to a coordinator in the same system (asked on its own, id 0). */
function requestOf(
  kind: number,
  key: string,
  consistency: Consistency,
  timeoutMs: number,
  ttlMs: number,
  value: unknown,
  replyTo: ActorRef<CacheReply>,
): ClientRequest {
  if (kind === REQUEST_PUT)
    return { type: 'cache/put', key, value, consistency, ttlMs, timeoutMs, replyTo, id: 0 };
  return {
    type: kind === REQUEST_GET ? 'cache/get' : 'cache/delete',
    key,
    consistency,
    timeoutMs,
    replyTo,
    id: 0,
  };
}

/**
 * The value in its JSON form: a copy the caller can no longer change, and what any node would store; and the
 * UTF-8 bytes of that JSON. A value without one goes as it is, for the coordinator to refuse with the reason.
 */
function jsonCopy(value: unknown): { copy: unknown; bytes: number } {
  // A string is its own copy; a plain one is measured without its JSON.
  const plain = plainStringJsonBytes(value);
  if (plain !== undefined) return { copy: value, bytes: plain };
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    return { copy: value, bytes: 0 };
  }
  return json === undefined
    ? { copy: value, bytes: 0 }
    : { copy: JSON.parse(json) as unknown, bytes: Buffer.byteLength(json) };
}

/** Checks a key as every node does: a non-empty string of at most `maxLength` characters. */
export function checkKey(key: unknown, maxLength: number): asserts key is string {
  if (typeof key !== 'string') throw new InvalidKeyError(`a ${typeof key}, not a string`);
  if (key.length === 0) throw new InvalidKeyError('empty key');
  if (key.length > maxLength) throw new KeyTooLongError(key.length, maxLength);
}

/**
 * A client for a process that is not a replica: it sends every request to the cache actor of a node that must
 * run `startCache`, given by its address (`troupe://<system>@<host:port>`). Given the addresses of several (or
 * all) of the cache's nodes, it sends each request to the first of them on the key's hash ring (the ring the
 * nodes build, over those addresses): with all the members given, a replica of the key, whose own copy then
 * counts towards the quorum without a message, and the work of coordinating spreads over the nodes. Any node
 * coordinates any key correctly; the choice only saves work. Registers the cache's messages on `node`.
 * `settings` are the limits checked before sending (the coordinator checks again), and `vnodes`, which must be
 * the nodes' own for the ring to match theirs.
 *
 * @example
 * ```ts
 * const node = await createNode({ name: 'cache', transport: new WebSocketTransport({ secret }) });
 * const client = createCacheClient(node, ['troupe://cache@127.0.0.1:4711', 'troupe://cache@127.0.0.1:4712']);
 * await client.put('k', [1, 2, 3]);
 * ```
 */
export function createCacheClient(
  node: RemoteNode,
  coordinators: string | readonly string[],
  settings: Partial<CacheSettings> = {},
): CacheClient {
  registerCacheProtocol(node.serialization);
  const resolved = CacheSettings.defaults(settings);
  const addresses = typeof coordinators === 'string' ? [coordinators] : [...coordinators];
  if (addresses.length === 0)
    throw new InvalidCacheSettingsError('createCacheClient needs a coordinator address');
  const refs = new Map(
    addresses.map((a) => [a, node.refFor<ClientRequest>(`${a}/user/${CACHE_ACTOR_NAME}`)] as const),
  );
  const ring = new HashRing(addresses, resolved.vnodes);
  const only = addresses.length === 1 ? refs.get(addresses[0])! : undefined;
  const router = new ReplyRouter(
    node.system,
    (timeoutMs) => new CacheTimeoutError(addresses.join(', '), timeoutMs - REPLY_GRACE_MS),
    () => new CacheStoppedError(node.address),
    resolved.maxMessageBytes,
  );
  // Each key's coordinator, looked up on the ring once (a bounded number of keys).
  const chosen = new Map<string, ActorRef<ClientRequest>>();
  const coordinatorOf = (key: string): ActorRef<ClientRequest> => {
    if (only) return only;
    let ref = chosen.get(key);
    if (!ref) {
      ref = refs.get(ring.preferenceList(key, 1)[0])!;
      if (chosen.size >= 65_536) chosen.clear();
      chosen.set(key, ref);
    }
    return ref;
  };
  return new ActorCacheClient(coordinatorOf, resolved, router);
}
