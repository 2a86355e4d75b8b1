import {
  type ActorRef,
  type ActorSystem,
  type ActorSystemOptions,
  BaseRef,
  createActorSystem,
  type DeadLetterReason,
  type InternalRef,
  SysKind,
  SysMsg,
  type TimerHandle,
} from '@troupe/core';
import type { CloseInfo, Connection, NodeIdentity, Transport, TransportEvent } from '@troupe/transport';
import { nanoid } from 'nanoid';
import { nodeAddress, parseAddress } from './ActorAddress';
import {
  InvalidAddressError,
  MalformedMessageError,
  RemoteError,
  UnregisteredMessageError,
} from './RemoteError';
import { BATCH_BYTES, OutboundBatch } from './internal/OutboundBatch';
import { Serialization } from './Serialization';
import {
  decodeEnvelopes,
  encodeEnvelope,
  encodePayload,
  encodeUser,
  encodeUserElsewhere,
  type Envelope,
  type RefCodec,
  type UserHeaderCache,
  USER_AGAIN_HEAD,
  WireKind,
} from './internal/wire';

export interface RemotingOptions {
  system: ActorSystem;
  transport: Transport;
  /** Which messages may cross the wire. Default: primitives only. */
  serialization?: Serialization;
  /** Backoff between attempts to reach a peer: doubling from `minMs` to `maxMs`, plus jitter. */
  reconnect?: { minMs?: number; maxMs?: number; randomFactor?: number };
  /** A heartbeat goes to each connected peer this often when nothing else does. Default 1000 ms. */
  heartbeatIntervalMs?: number;
  /**
   * A peer not heard from (or not reconnected) for this long is unreachable: what waited for it becomes dead
   * letters and watchers of its actors get `Terminated`. Default 5000 ms.
   */
  unreachableAfterMs?: number;
  /** Most messages waiting for a connection to one peer; beyond, dead letters. Default 10,000. */
  maxPendingPerPeer?: number;
  /** This start's incarnation id. Default: a fresh nanoid; a deterministic simulation passes a seeded one. */
  incarnation?: string;
}

/** Something remoting wants known: peers coming and going, and messages it refused. */
export type RemoteEvent =
  | { readonly type: 'peer-connected'; readonly peer: string; readonly incarnation: string }
  | {
      readonly type: 'peer-disconnected';
      readonly peer: string;
      readonly code: number;
      readonly reason: string;
    }
  /** An attempt to reach a peer failed (refused, wrong secret, other system...); remoting retries with backoff. */
  | { readonly type: 'connect-failed'; readonly peer: string; readonly error: unknown }
  | { readonly type: 'peer-unreachable'; readonly peer: string; readonly incarnation: string | undefined }
  | {
      readonly type: 'peer-restarted';
      readonly peer: string;
      readonly previous: string;
      readonly incarnation: string;
    }
  | { readonly type: 'refused-message'; readonly peer: string | undefined; readonly error: RemoteError }
  | { readonly type: 'transport'; readonly event: TransportEvent };

export interface PeerInfo {
  readonly address: string;
  readonly incarnation: string | undefined;
  readonly connected: boolean;
  readonly pending: number;
}

/**
 * An actor system reachable from other nodes. Refs to its actors travel inside messages and work on the other
 * side; `refFor` turns an address into a ref. Delivery is at most once and in order per pair of actors, as in
 * Akka and Erlang.
 *
 * @example
 * ```ts
 * const node = await startRemoting({ system, transport: new WebSocketTransport({ secret }), serialization });
 * const echo = node.refFor<Echo>('troupe://echo@127.0.0.1:4711/user/echo');
 * const reply = await ask(echo, (replyTo) => ({ type: 'echo', text: 'hi', replyTo }));
 * ```
 */
export interface RemoteNode {
  readonly system: ActorSystem;
  /** `troupe://<system>@<transport address>`. */
  readonly address: string;
  /** New at every start. */
  readonly incarnation: string;
  readonly identity: NodeIdentity;
  /** A ref to the actor at a full address (`troupe://system@host:port/user/name`), local or remote. */
  refFor<M>(address: string): ActorRef<M>;
  /** The full address of a ref, as other nodes reach it. */
  addressOf(ref: ActorRef<never>): string;
  onEvent(listener: (event: RemoteEvent) => void): () => void;
  peers(): PeerInfo[];
  /**
   * Lets other nodes send user messages to local actors under `pathPrefix` (such as `/system/cluster/`). Only
   * `/user/` and `/temp/` are reachable by default: the framework's own actors are no remote API.
   */
  expose(pathPrefix: string): void;
  /** The codecs this node uses; layers above (the cluster) register their own protocol here. */
  readonly serialization: Serialization;
  /**
   * Declares the node at `address` (a node address or a transport address) gone, as if unreachable: waiting
   * messages become dead letters and watchers of its actors get `Terminated`. For a membership layer that has
   * decided a node is down; a later connection from a new incarnation is welcome.
   */
  markGone(address: string): void;
  /** Terminates the actor system (so remote watchers learn of it), then flushes and closes the transport. */
  shutdown(): Promise<void>;
}

/**
 * Makes `system` reachable over `transport`.
 *
 * @example
 * ```ts
 * const system = createActorSystem({ name: 'shop' });
 * const node = await startRemoting({ system, transport: net.transport(), serialization });
 * ```
 */
export async function startRemoting(options: RemotingOptions): Promise<RemoteNode> {
  const node = new RemoteNodeImpl(options);
  await node.start();
  return node;
}

/**
 * Creates an actor system and makes it reachable: the usual way to start a node.
 *
 * @example
 * ```ts
 * const node = await createNode({ name: 'shop', transport: new WebSocketTransport({ port: 4711, secret }) });
 * node.system.spawn(cashier, 'cashier');
 * ```
 */
export async function createNode(
  options: Omit<RemotingOptions, 'system'> & Omit<ActorSystemOptions, 'name'> & { name: string },
): Promise<RemoteNode> {
  const {
    transport,
    serialization,
    reconnect,
    heartbeatIntervalMs,
    unreachableAfterMs,
    maxPendingPerPeer,
    incarnation,
    ...sys
  } = options;
  const system = createActorSystem(sys);
  try {
    return await startRemoting({
      system,
      transport,
      serialization,
      reconnect,
      heartbeatIntervalMs,
      unreachableAfterMs,
      maxPendingPerPeer,
      incarnation,
    });
  } catch (e) {
    await system.terminate();
    throw e;
  }
}

/** The table of canonical remote refs is first swept of collected ones at this many entries. */
const MIN_REF_SWEEP = 4096;

/** Canonical refs to the actors of one node address, by incarnation and path. */
interface RemoteNodeRefs {
  readonly transportAddress: string;
  readonly byIncarnation: Map<string, Map<string, WeakRef<RemoteActorRef>>>;
}

/** The most one transport message to a peer carries of a batch. */
const batchLimit = (conn: Connection): number => Math.min(BATCH_BYTES, conn.maxMessageBytes);

/** Most watch and death notices kept for redelivery to one peer. */
const MAX_UNACKED = 1024;

/** Envelopes waiting for a connection: one sent while there was none, or a batch the transport found closed. */
interface Pending {
  /** A copy of its own (what `encodeUser` returns may be overwritten by the next message). */
  bytes: Uint8Array;
  /** For each envelope, whom it was for (undefined for control envelopes) and what it was: for dead letters. */
  recipients: (RemoteActorRef | undefined)[];
  messages: unknown[];
}

/** Everything known about one peer, by transport address. */
class Endpoint {
  conn: Connection | null = null;
  /** The peer's incarnation as of the last handshake. */
  incarnation: string | undefined = undefined;
  connecting = false;
  pending: Pending[] = [];
  attempt = 0;
  retryTimer: TimerHandle | undefined = undefined;
  unreachableTimer: TimerHandle | undefined = undefined;
  heartbeatTimer: TimerHandle | undefined = undefined;
  lastHeard = 0;
  sentSinceBeat = false;
  /** What goes to the peer at the end of this turn, as one transport message. */
  readonly batch = new OutboundBatch<RemoteActorRef>();
  /** Remote actors on this peer that local actors watch, and who watches each. */
  readonly watched = new Map<RemoteActorRef, Set<InternalRef>>();
  /** Local actors this peer's actors watch: watchee → remote watchers. */
  readonly watchedBy = new Map<InternalRef, Set<RemoteActorRef>>();
  /**
   * Watch and death notices not yet acknowledged, by kind and paths: resent with every heartbeat until the peer
   * acknowledges them, so that a dropped notice cannot lose a `Terminated`. Receivers handle repeats
   * idempotently.
   */
  readonly unacked = new Map<string, Envelope>();
  warnedUnacked = false;
  /** Dropped from the node's table: refs that cached it look it up afresh. */
  forgotten = false;

  constructor(
    readonly transportAddress: string,
    readonly nodeAddress: string,
  ) {}

  /** Whether anything depends on knowing if this peer is alive. */
  get interesting(): boolean {
    return this.pending.length > 0 || this.watched.size > 0 || this.watchedBy.size > 0;
  }
}

/**
 * A ref to an actor on another node. One live object per (node, incarnation, path), so watches match up. Its
 * endpoint is found when the ref is first used: refs that only pass through (or arrive in refused messages)
 * never create one.
 */
class RemoteActorRef<M = unknown> extends BaseRef<M> implements UserHeaderCache {
  private ep: Endpoint | undefined = undefined;
  headerManifest: string | undefined = undefined;
  headerBytes: Uint8Array | undefined = undefined;
  constructor(
    private readonly node: RemoteNodeImpl,
    readonly transportAddress: string,
    readonly nodeAddress: string,
    readonly path: string,
    /** '' when made from an address string: whichever incarnation is there. */
    readonly incarnation: string,
    endpoint?: Endpoint,
  ) {
    super();
    this.ep = endpoint;
  }
  /** Made when asked for: most refs (an ask's reply ref) are never asked their name. */
  get name(): string {
    return this.path.slice(this.path.lastIndexOf('/') + 1);
  }
  /** For `ask`: the local system this ref lives in. */
  get sys(): ActorSystem {
    return this.node.system;
  }
  tell(message: M): void {
    this.node.sendUser(this, message);
  }
  sendSystem(msg: SysMsg): void {
    this.node.remoteSystemMessage(this, msg);
  }
  get endpoint(): Endpoint {
    let ep = this.ep;
    if (ep === undefined || ep.forgotten) ep = this.ep = this.node.endpoint(this.transportAddress);
    return ep;
  }
  override toString(): string {
    return this.nodeAddress + this.path;
  }
}

/** A ref that arrived pointing at nothing alive here (a stopped actor, or an earlier incarnation of this node). */
class DeadRef extends BaseRef<unknown> {
  readonly name: string;
  constructor(
    private readonly node: RemoteNodeImpl,
    readonly path: string,
    private readonly reason: DeadLetterReason,
  ) {
    super();
    this.name = path.slice(path.lastIndexOf('/') + 1);
  }
  get sys(): ActorSystem {
    return this.node.system;
  }
  tell(message: unknown): void {
    this.node.system.deadLetter(this.toString(), message, this.reason);
  }
  sendSystem(msg: SysMsg): void {
    if (msg.kind === SysKind.Watch) msg.ref.sendSystem(new SysMsg(SysKind.DeathWatch, this));
  }
  override toString(): string {
    return this.node.address + this.path;
  }
}

class RemoteNodeImpl implements RemoteNode, RefCodec {
  readonly system: ActorSystem;
  private readonly transport: Transport;
  readonly serialization: Serialization;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;
  private readonly jitter: number;
  private readonly heartbeatMs: number;
  private readonly unreachableMs: number;
  private readonly maxPending: number;
  identity!: NodeIdentity;
  address = '';
  readonly incarnation: string;
  private readonly endpoints = new Map<string, Endpoint>();
  /**
   * The canonical remote refs, weakly: node address → incarnation → path → ref. Nested maps rather than one
   * joined key: each lookup is a few hashed probes and no concatenation. Entries of collected refs are swept once the table has doubled since the last sweep.
   */
  private readonly remoteRefs = new Map<string, RemoteNodeRefs>();
  private remoteRefCount = 0;
  private sweepRefsAt = MIN_REF_SWEEP;
  /** Local actors whose refs went out in messages, by path: an incoming message finds them without a walk. */
  private readonly exported = new Map<string, InternalRef>();
  private readonly listeners = new Set<(e: RemoteEvent) => void>();
  private readonly exposedPrefixes: string[] = [];
  private closing = false;
  private closed: Promise<void> | undefined;

  constructor(options: RemotingOptions) {
    this.system = options.system;
    this.transport = options.transport;
    this.serialization = options.serialization ?? new Serialization();
    this.minBackoff = options.reconnect?.minMs ?? 100;
    this.maxBackoff = options.reconnect?.maxMs ?? 5000;
    this.jitter = options.reconnect?.randomFactor ?? 0.2;
    this.heartbeatMs = options.heartbeatIntervalMs ?? 1000;
    this.unreachableMs = options.unreachableAfterMs ?? 5000;
    this.maxPending = options.maxPendingPerPeer ?? 10_000;
    this.incarnation = options.incarnation ?? nanoid();
  }

  async start(): Promise<void> {
    this.identity = await this.transport.listen(
      { system: this.system.name, incarnation: this.incarnation },
      {
        onConnection: (conn) => this.adopt(conn),
        onEvent: (event) => this.emit({ type: 'transport', event }),
      },
    );
    this.address = nodeAddress(this.system.name, this.identity.address);
    void this.system.whenTerminated.then(() => this.shutdown());
  }

  // ---------------------------------------------------------------- public API

  refFor<M>(address: string): ActorRef<M> {
    const a = parseAddress(address);
    if (a.path === undefined) throw new InvalidAddressError(address);
    return this.refOf(nodeAddress(a.system, a.transport), a.path, '', true) as unknown as ActorRef<M>;
  }

  addressOf(ref: ActorRef<never>): string {
    const [node, path] = this.locate(ref as unknown as BaseRef);
    return node + path;
  }

  onEvent(listener: (event: RemoteEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  peers(): PeerInfo[] {
    return [...this.endpoints.values()].map((e) => ({
      address: e.transportAddress,
      incarnation: e.incarnation,
      connected: e.conn !== null,
      pending: e.pending.length,
    }));
  }

  expose(pathPrefix: string): void {
    if (!pathPrefix.startsWith('/system/') || !pathPrefix.endsWith('/')) {
      throw new InvalidAddressError(pathPrefix);
    }
    this.exposedPrefixes.push(pathPrefix);
  }

  private isExposed(path: string): boolean {
    if (path.startsWith('/user/') || path.startsWith('/temp/')) return true;
    for (const p of this.exposedPrefixes) if (path.startsWith(p)) return true;
    return false;
  }

  markGone(address: string): void {
    const transportAddress = address.startsWith('troupe://') ? parseAddress(address).transport : address;
    const ep = this.endpoints.get(transportAddress);
    if (!ep) return;
    ep.conn?.terminate();
    this.peerGone(ep, 'unreachable');
  }

  shutdown(): Promise<void> {
    if (!this.closed) {
      this.closed = (async () => {
        // Terminate first: stopping actors tell their remote watchers, and those notices must still go out.
        await this.system.terminate();
        this.flushDirty();
        this.closing = true;
        for (const ep of this.endpoints.values()) this.clearTimers(ep);
        await this.transport.close();
      })();
    }
    return this.closed;
  }

  // ---------------------------------------------------------------- refs on the wire

  /** A ref as it goes on the wire (see `RefCodec`): `[path]` for this node's own actors. */
  write(ref: BaseRef): [string] | [string, string, string] {
    if (ref instanceof RemoteActorRef) return [ref.nodeAddress, ref.path, ref.incarnation];
    return [this.localPath(ref)];
  }

  /** A ref's node address, path and incarnation. */
  private locate(ref: BaseRef): [string, string, string] {
    if (ref instanceof RemoteActorRef) return [ref.nodeAddress, ref.path, ref.incarnation];
    return [this.address, this.localPath(ref), this.incarnation];
  }

  /** The path of a ref of this node, kept findable for the replies it may get. */
  private localPath(ref: BaseRef): string {
    if (ref instanceof DeadRef) return ref.path;
    if ((ref as unknown as { sys?: unknown }).sys !== this.system) {
      throw new UnregisteredMessageError('refs of an actor system that is not this node');
    }
    // Read once: an ask's reply ref makes its path afresh at every read.
    const path = ref.path;
    this.remember(ref, path);
    return path;
  }

  /** Keeps a live local actor findable by path without a walk, until it stops. */
  private remember(ref: InternalRef, path: string = ref.path): void {
    if (!path.startsWith('/user/') || this.exported.has(path)) return;
    this.exported.set(path, ref);
    void this.system.whenStopped(ref as ActorRef<never>).then(() => {
      if (this.exported.get(path) === ref) this.exported.delete(path);
    });
  }

  /** A ref that arrived in a message. */
  read(node: string, path: string, incarnation: string): BaseRef {
    return this.refOf(node, path, incarnation, false);
  }

  /** The peer whose message is being decoded: refs to its own actors arrive as a bare path. */
  private decodingFrom: Endpoint | undefined = undefined;

  readOwn(path: string): BaseRef {
    const ep = this.decodingFrom;
    if (ep === undefined || ep.incarnation === undefined)
      throw new MalformedMessageError('a ref to the sending node outside a message from a peer');
    // An ask's reply ref: not canonical (see `refOf`), and its endpoint is already known.
    if (path.startsWith('/temp/'))
      return new RemoteActorRef(this, ep.transportAddress, ep.nodeAddress, path, ep.incarnation, ep);
    return this.refOf(ep.nodeAddress, path, ep.incarnation, false);
  }

  /** The ref for an address; `canonical`: the one object for it even under /temp/ (see below). */
  private refOf(node: string, path: string, incarnation: string, canonical: boolean): BaseRef {
    if (node === this.address) {
      if (incarnation !== '' && incarnation !== this.incarnation)
        return new DeadRef(this, path, 'wrong-incarnation');
      return (this.localRef(path) as BaseRef | undefined) ?? new DeadRef(this, path, 'recipient-terminated');
    }
    let refs = this.remoteRefs.get(node);
    if (refs === undefined) {
      let transportAddress: string;
      try {
        transportAddress = parseAddress(node).transport;
      } catch {
        return new DeadRef(this, path, 'unknown-recipient');
      }
      refs = { transportAddress, byIncarnation: new Map() };
      this.remoteRefs.set(node, refs);
    }
    // An ask's reply ref (the only kind under /temp/) in a message takes one reply and is done: it needs no
    // canonical object, and a canonical one costs a weak reference, which V8 clears only in a full GC. Watches
    // of it still match up: notices are matched by path.
    if (!canonical && path.startsWith('/temp/'))
      return new RemoteActorRef(this, refs.transportAddress, node, path, incarnation);
    let byPath = refs.byIncarnation.get(incarnation);
    if (byPath === undefined) refs.byIncarnation.set(incarnation, (byPath = new Map()));
    let ref = byPath.get(path)?.deref();
    if (!ref) {
      ref = new RemoteActorRef(this, refs.transportAddress, node, path, incarnation);
      // Weakly: a ref nobody holds any more (one that came in a refused message, a used reply ref) is
      // collected, and its entry swept later. Watched refs are held by the endpoint, so they stay canonical.
      byPath.set(path, new WeakRef(ref));
      if (++this.remoteRefCount >= this.sweepRefsAt) this.sweepRefs();
    }
    return ref;
  }

  /** Drops the entries of collected refs (and of nodes left with none). */
  private sweepRefs(): void {
    let live = 0;
    for (const [node, refs] of this.remoteRefs) {
      for (const [incarnation, byPath] of refs.byIncarnation) {
        for (const [path, weak] of byPath) {
          if (weak.deref() === undefined) byPath.delete(path);
          else live++;
        }
        if (byPath.size === 0) refs.byIncarnation.delete(incarnation);
      }
      if (refs.byIncarnation.size === 0) this.remoteRefs.delete(node);
    }
    this.remoteRefCount = live;
    this.sweepRefsAt = Math.max(MIN_REF_SWEEP, live * 2);
  }

  private localRef(path: string): InternalRef | undefined {
    const known = this.exported.get(path);
    if (known) return known;
    const found = this.system.lookup(path) as InternalRef | undefined;
    // Remembered: the next message to the same actor skips the walk (the profile's top item on receive).
    if (found) this.remember(found);
    return found;
  }

  endpoint(transportAddress: string): Endpoint {
    let ep = this.endpoints.get(transportAddress);
    if (!ep) {
      ep = new Endpoint(transportAddress, nodeAddress(this.system.name, transportAddress));
      this.endpoints.set(transportAddress, ep);
    }
    return ep;
  }

  // ---------------------------------------------------------------- sending

  sendUser(ref: RemoteActorRef, message: unknown): void {
    const ep = ref.endpoint;
    if (ref.incarnation !== '' && ep.incarnation !== undefined && ref.incarnation !== ep.incarnation) {
      this.system.deadLetter(ref.toString(), message, 'wrong-incarnation');
      return;
    }
    let bytes: Uint8Array;
    let manifest: string;
    try {
      // toWire's work without its [manifest, data] pair: one array less per message.
      const codec = this.serialization.codecFor(message);
      const payload = codec.encode ? codec.encode(message) : message;
      manifest = codec.manifest;
      const batch = ep.batch;
      const conn = ep.conn;
      const last = batch.lastRecipient;
      if (conn && last !== undefined && batch.lastManifest === manifest && !this.closing) {
        if (last === ref) {
          // The same recipient and type as the user envelope before it in this batch: only the payload goes.
          bytes = encodePayload(payload, this);
          if (batch.fits(bytes.length + USER_AGAIN_HEAD.length, batchLimit(conn))) {
            batch.appendAgain(bytes, ref, message);
            return;
          }
        } else if (last.incarnation === ref.incarnation) {
          // The same type for another actor of the same incarnation: the path and the payload go.
          bytes = encodeUserElsewhere(ref.path, payload, this);
          if (batch.fits(bytes.length, batchLimit(conn))) {
            batch.append(bytes, ref, message, manifest);
            return;
          }
        }
      }
      bytes = encodeUser(ref.incarnation, ref.path, manifest, payload, this, ref);
    } catch (e) {
      const error =
        e instanceof RemoteError
          ? e
          : new UnregisteredMessageError(`a value inside the message (${String(e)})`);
      this.emit({ type: 'refused-message', peer: ep.transportAddress, error });
      this.system.deadLetter(ref.toString(), message, 'unserializable');
      return;
    }
    this.send(ep, bytes, ref, message, manifest);
  }

  remoteSystemMessage(ref: RemoteActorRef, msg: SysMsg): void {
    const ep = ref.endpoint;
    switch (msg.kind) {
      case SysKind.Watch: {
        if (ref.incarnation !== '' && ep.incarnation !== undefined && ref.incarnation !== ep.incarnation) {
          msg.ref.sendSystem(new SysMsg(SysKind.DeathWatch, ref)); // watching an incarnation already gone
          return;
        }
        let watchers = ep.watched.get(ref);
        if (!watchers) ep.watched.set(ref, (watchers = new Set()));
        watchers.add(msg.ref);
        const watcher = this.localPath(msg.ref as unknown as BaseRef);
        this.sendReliably(ep, { kind: WireKind.Watch, to: ref.incarnation, watchee: ref.path, watcher });
        return;
      }
      case SysKind.Unwatch: {
        const watchers = ep.watched.get(ref);
        if (!watchers?.delete(msg.ref)) return;
        if (watchers.size === 0) ep.watched.delete(ref);
        ep.unacked.delete(`w|${ref.path}|${msg.ref.path}`);
        // Best effort: a lost unwatch only costs a death notice that nobody wants.
        this.sendControl(ep, {
          kind: WireKind.Unwatch,
          to: ref.incarnation,
          watchee: ref.path,
          watcher: msg.ref.path,
        });
        return;
      }
      case SysKind.DeathWatch: {
        // A local actor this remote watcher watched has terminated: tell its node.
        const set = ep.watchedBy.get(msg.ref);
        if (set?.delete(ref) && set.size === 0) ep.watchedBy.delete(msg.ref);
        this.sendReliably(ep, {
          kind: WireKind.Death,
          to: ref.incarnation,
          dead: msg.ref.path,
          watcher: ref.path,
        });
        return;
      }
      default:
        return;
    }
  }

  /** Sends a watch or death notice and keeps it until acknowledged (see `Endpoint.unacked`). */
  private sendReliably(ep: Endpoint, env: Envelope): void {
    if (ep.unacked.size >= MAX_UNACKED) {
      // A peer that never acknowledges must not make us hoard notices: the oldest goes to best effort.
      const oldest = ep.unacked.keys().next().value as string;
      ep.unacked.delete(oldest);
      if (!ep.warnedUnacked) {
        ep.warnedUnacked = true;
        this.system.log.warn(
          `${ep.transportAddress} leaves watch notices unacknowledged; keeping only the newest ${MAX_UNACKED}`,
        );
      }
    }
    if (env.kind === WireKind.Watch) ep.unacked.set(`w|${env.watchee}|${env.watcher}`, env);
    else if (env.kind === WireKind.Death) ep.unacked.set(`d|${env.dead}|${env.watcher}`, env);
    this.sendControl(ep, env);
  }

  private sendControl(ep: Endpoint, env: Envelope): void {
    this.send(ep, encodeEnvelope(env, this));
  }

  /**
   * Sends encoded envelopes to the peer: into its batch for the end of this turn while it is connected, queued
   * until it is otherwise. `recipient` and `message`: a user message's, for its dead letter if it never leaves;
   * `head`: its manifest, when `bytes` is that one user envelope in full (later ones may refer back to it).
   */
  private send(
    ep: Endpoint,
    bytes: Uint8Array,
    recipient?: RemoteActorRef,
    message?: unknown,
    head?: string,
  ): void {
    if (this.closing) {
      if (recipient) this.system.deadLetter(recipient.toString(), message, 'peer-unreachable');
      return;
    }
    const conn = ep.conn;
    if (conn) {
      const batch = ep.batch;
      if (!batch.fits(bytes.length, batchLimit(conn))) this.flush(ep);
      batch.append(bytes, recipient, message, head);
      this.flushSoon(ep, conn);
      return;
    }
    this.queue(ep, {
      bytes: Uint8Array.prototype.slice.call(bytes),
      recipients: [recipient],
      messages: [message],
    });
  }

  /** Hands the batch over at the end of this turn, or at once when it is full. */
  private flushSoon(ep: Endpoint, conn: Connection): void {
    const batch = ep.batch;
    if (batch.size >= batchLimit(conn)) this.flush(ep);
    else if (!batch.queued) {
      batch.queued = true;
      this.dirty[this.dirtyCount++] = ep;
      if (this.dirtyCount === 1) queueMicrotask(this.flushDirty);
    }
  }

  private queue(ep: Endpoint, item: Pending): void {
    if (ep.pending.length >= this.maxPending) {
      this.deadLetterEach(item.recipients, item.messages, 'backpressure');
      return;
    }
    ep.pending.push(item);
    this.ensureConnecting(ep);
  }

  /** Endpoints whose batch waits for the end of this turn. */
  private readonly dirty: (Endpoint | undefined)[] = [];
  private dirtyCount = 0;

  /** At the end of the turn: one transport message per peer with everything sent to it in the turn. */
  private readonly flushDirty = (): void => {
    const dirty = this.dirty;
    // Counted, not truncated (see OutboundBatch). One made dirty meanwhile (a dead-letter listener that tells a
    // remote actor) is flushed by this same loop.
    for (let i = 0; i < this.dirtyCount; i++) {
      this.flush(dirty[i]!);
      dirty[i] = undefined;
    }
    this.dirtyCount = 0;
  };

  private flush(ep: Endpoint): void {
    const batch = ep.batch;
    batch.queued = false;
    if (batch.isEmpty) return;
    const bytes = batch.bytes();
    const conn = ep.conn;
    const result = conn ? conn.send(bytes) : 'closed';
    if (result === 'ok') {
      ep.sentSinceBeat = true;
      batch.clear();
      // The batch is this turn's: the transport's own end-of-turn batching would only add a hop.
      conn?.flush?.();
      return;
    }
    // 'closed': the close event is on its way; the batch goes whole once the peer is back (or is dead-lettered
    // then). Copied before anything else can write into the batch's buffer.
    const later = result === 'closed' && !this.closing ? Uint8Array.prototype.slice.call(bytes) : undefined;
    const { recipients, messages } = batch.takeFailed();
    if (later) this.queue(ep, { bytes: later, recipients, messages });
    else this.deadLetterEach(recipients, messages, result === 'closed' ? 'peer-unreachable' : result);
  }

  /** What waited for a connection, into the batch as it was: its `UserAgain` envelopes refer only to its own. */
  private resend(ep: Endpoint, item: Pending): void {
    const conn = ep.conn;
    if (!conn || this.closing) {
      this.queue(ep, item);
      return;
    }
    if (!ep.batch.fits(item.bytes.length, batchLimit(conn))) this.flush(ep);
    ep.batch.appendAll(item.bytes, item.recipients, item.messages);
    this.flushSoon(ep, conn);
  }

  private deadLetterEach(
    recipients: readonly (RemoteActorRef | undefined)[],
    messages: readonly unknown[],
    reason: DeadLetterReason,
  ): void {
    for (let i = 0; i < recipients.length; i++) {
      const r = recipients[i];
      if (r) this.system.deadLetter(r.toString(), messages[i], reason);
    }
  }

  // ---------------------------------------------------------------- connections

  private ensureConnecting(ep: Endpoint): void {
    if (ep.conn || ep.connecting || ep.retryTimer !== undefined || this.closing) return;
    ep.connecting = true;
    this.armUnreachable(ep);
    // Through a resolved promise, so that a transport throwing at once (an address no URL can hold) is a failed
    // attempt like any other, never an exception in the sender's tell.
    Promise.resolve(ep.transportAddress)
      .then((address) => this.transport.connect(address))
      .then(
        (conn) => {
          ep.connecting = false;
          this.adopt(conn);
        },
        (error: unknown) => {
          ep.connecting = false;
          if (this.closing || ep.conn) return;
          this.emit({ type: 'connect-failed', peer: ep.transportAddress, error });
          const base = Math.min(this.maxBackoff, this.minBackoff * 2 ** Math.min(ep.attempt++, 20));
          const delay = base * (1 + this.system.random.next() * this.jitter);
          ep.retryTimer = this.system.clock.setTimeout(() => {
            ep.retryTimer = undefined;
            if (ep.interesting) this.ensureConnecting(ep);
          }, delay);
        },
      );
  }

  /** A connection finished its handshake: from now on it carries this peer's traffic. */
  private adopt(conn: Connection): void {
    if (this.closing) {
      conn.terminate();
      return;
    }
    const ep = this.endpoint(conn.peer.address);
    if (ep.conn === conn) return;
    if (ep.incarnation !== undefined && ep.incarnation !== conn.peer.incarnation) {
      const previous = ep.incarnation;
      this.peerGone(ep, 'restarted');
      this.emit({
        type: 'peer-restarted',
        peer: ep.transportAddress,
        previous,
        incarnation: conn.peer.incarnation,
      });
    }
    ep.conn = conn;
    ep.incarnation = conn.peer.incarnation;
    ep.attempt = 0;
    ep.lastHeard = this.system.clock.now();
    if (ep.retryTimer !== undefined) {
      this.system.clock.clearTimeout(ep.retryTimer);
      ep.retryTimer = undefined;
    }
    this.disarmUnreachable(ep);
    conn.onMessage((bytes) => this.receive(ep, conn, bytes));
    conn.onClose((info) => this.connectionClosed(ep, conn, info));
    this.emit({ type: 'peer-connected', peer: ep.transportAddress, incarnation: conn.peer.incarnation });
    const pending = ep.pending;
    ep.pending = [];
    for (const item of pending) this.resend(ep, item);
    this.armHeartbeat(ep);
  }

  private connectionClosed(ep: Endpoint, conn: Connection, info: CloseInfo): void {
    if (ep.conn !== conn) return;
    ep.conn = null;
    if (ep.heartbeatTimer !== undefined) {
      this.system.clock.clearTimeout(ep.heartbeatTimer);
      ep.heartbeatTimer = undefined;
    }
    this.emit({ type: 'peer-disconnected', peer: ep.transportAddress, code: info.code, reason: info.reason });
    if (this.closing) return;
    if (ep.interesting) this.ensureConnecting(ep);
  }

  private armHeartbeat(ep: Endpoint): void {
    ep.heartbeatTimer = this.system.clock.setTimeout(() => {
      ep.heartbeatTimer = undefined;
      const conn = ep.conn;
      if (!conn || this.closing) return;
      if (this.system.clock.now() - ep.lastHeard > this.unreachableMs) {
        // Connected but silent: as good as gone. Dropping the connection lets a live peer come back.
        conn.terminate();
        this.peerGone(ep, 'unreachable');
        return;
      }
      if (ep.unacked.size > 0) for (const env of ep.unacked.values()) this.sendControl(ep, env);
      else if (!ep.sentSinceBeat) this.send(ep, encodeEnvelope({ kind: WireKind.Heartbeat }, this));
      ep.sentSinceBeat = false;
      this.armHeartbeat(ep);
    }, this.heartbeatMs);
  }

  private armUnreachable(ep: Endpoint): void {
    if (ep.unreachableTimer !== undefined) return;
    ep.unreachableTimer = this.system.clock.setTimeout(() => {
      ep.unreachableTimer = undefined;
      if (!ep.conn && !this.closing) this.peerGone(ep, 'unreachable');
    }, this.unreachableMs);
  }

  private disarmUnreachable(ep: Endpoint): void {
    if (ep.unreachableTimer !== undefined) {
      this.system.clock.clearTimeout(ep.unreachableTimer);
      ep.unreachableTimer = undefined;
    }
  }

  /**
   * The peer (this incarnation of it) is gone: what waited for it is dead-lettered, local watchers of its actors
   * get `Terminated`, and its watches on our actors are dropped.
   */
  private peerGone(ep: Endpoint, why: 'unreachable' | 'restarted'): void {
    const incarnation = ep.incarnation;
    // Told while the old connection (or incarnation) was there; it will never carry them now.
    if (!ep.batch.isEmpty) {
      const { recipients, messages } = ep.batch.takeFailed();
      this.deadLetterEach(
        recipients,
        messages,
        why === 'unreachable' ? 'peer-unreachable' : 'wrong-incarnation',
      );
    }
    if (why === 'unreachable') {
      const pending = ep.pending;
      ep.pending = [];
      for (const item of pending) this.deadLetterEach(item.recipients, item.messages, 'peer-unreachable');
      if (ep.retryTimer !== undefined) {
        this.system.clock.clearTimeout(ep.retryTimer);
        ep.retryTimer = undefined;
      }
      ep.attempt = 0;
      this.emit({ type: 'peer-unreachable', peer: ep.transportAddress, incarnation });
    }
    ep.unacked.clear();
    const watched = [...ep.watched];
    ep.watched.clear();
    for (const [ref, watchers] of watched) {
      for (const w of watchers) w.sendSystem(new SysMsg(SysKind.DeathWatch, ref));
    }
    const watchedBy = [...ep.watchedBy];
    ep.watchedBy.clear();
    for (const [watchee, watchers] of watchedBy) {
      for (const w of watchers) watchee.sendSystem(new SysMsg(SysKind.Unwatch, w));
    }
    // Refs to the old incarnation can never reach anyone again; forget them.
    if (incarnation !== undefined) {
      for (const refs of this.remoteRefs.values()) {
        if (refs.transportAddress !== ep.transportAddress) continue;
        const byPath = refs.byIncarnation.get(incarnation);
        if (byPath === undefined) continue;
        this.remoteRefCount -= byPath.size;
        refs.byIncarnation.delete(incarnation);
      }
    }
    // Nothing depends on this peer any more: forget it; a later ref to it makes a fresh endpoint.
    if (why === 'unreachable' && !ep.conn && !ep.interesting && ep.unreachableTimer === undefined) {
      this.clearTimers(ep);
      ep.forgotten = true;
      this.endpoints.delete(ep.transportAddress);
    }
  }

  private clearTimers(ep: Endpoint): void {
    for (const t of [ep.retryTimer, ep.unreachableTimer, ep.heartbeatTimer]) {
      if (t !== undefined) this.system.clock.clearTimeout(t);
    }
    ep.retryTimer = ep.unreachableTimer = ep.heartbeatTimer = undefined;
  }

  // ---------------------------------------------------------------- receiving

  private receive(ep: Endpoint, conn: Connection, bytes: Uint8Array): void {
    if (ep.conn !== conn) return;
    ep.lastHeard = this.system.clock.now();
    const previous = this.decodingFrom;
    this.decodingFrom = ep;
    try {
      // Handling an envelope may drop this connection (a restarted peer's notice): nothing after it counts.
      decodeEnvelopes(bytes, this, (env) => (this.handle(ep, env), ep.conn === conn));
    } catch (e) {
      this.refused(ep, e);
    } finally {
      this.decodingFrom = previous;
    }
    this.system.dispatchPromptly();
  }

  private handle(ep: Endpoint, env: Envelope): void {
    switch (env.kind) {
      case WireKind.User:
        this.deliver(ep, env);
        return;
      case WireKind.Watch:
      case WireKind.Unwatch: {
        const watcher = this.refOf(ep.nodeAddress, env.watcher, ep.incarnation ?? '', true) as RemoteActorRef;
        const watchee = env.to === '' || env.to === this.incarnation ? this.localRef(env.watchee) : undefined;
        if (env.kind === WireKind.Unwatch) {
          if (!watchee) return;
          const set = ep.watchedBy.get(watchee);
          if (set?.delete(watcher) && set.size === 0) ep.watchedBy.delete(watchee);
          watchee.sendSystem(new SysMsg(SysKind.Unwatch, watcher));
          return;
        }
        this.sendControl(ep, {
          kind: WireKind.WatchAck,
          to: env.to,
          watchee: env.watchee,
          watcher: env.watcher,
        });
        if (!watchee) {
          // Nothing by that name here (or it was an earlier incarnation): it is as dead as can be.
          this.sendReliably(ep, {
            kind: WireKind.Death,
            to: watcher.incarnation,
            dead: env.watchee,
            watcher: env.watcher,
          });
          return;
        }
        let set = ep.watchedBy.get(watchee);
        if (!set) ep.watchedBy.set(watchee, (set = new Set()));
        if (set.has(watcher)) return; // a redelivered watch, already registered
        set.add(watcher);
        watchee.sendSystem(new SysMsg(SysKind.Watch, watcher));
        return;
      }
      case WireKind.WatchAck:
        ep.unacked.delete(`w|${env.watchee}|${env.watcher}`);
        return;
      case WireKind.DeathAck:
        ep.unacked.delete(`d|${env.dead}|${env.watcher}`);
        return;
      case WireKind.Death: {
        this.sendControl(ep, { kind: WireKind.DeathAck, to: env.to, dead: env.dead, watcher: env.watcher });
        if (env.to !== '' && env.to !== this.incarnation) return;
        for (const [ref, watchers] of ep.watched) {
          if (ref.path !== env.dead) continue;
          for (const w of watchers) {
            if (w.path !== env.watcher) continue;
            watchers.delete(w);
            w.sendSystem(new SysMsg(SysKind.DeathWatch, ref));
          }
          if (watchers.size === 0) ep.watched.delete(ref);
        }
        return;
      }
      case WireKind.Heartbeat:
        return;
    }
  }

  private deliver(ep: Endpoint, env: Extract<Envelope, { kind: WireKind.User }>): void {
    if (env.to !== '' && env.to !== this.incarnation) {
      this.system.deadLetter(this.address + env.path, env.payload, 'wrong-incarnation');
      return;
    }
    if (!this.isExposed(env.path)) {
      // The framework's own actors are not a remote API unless a layer exposes them (the cluster does).
      this.system.deadLetter(this.address + env.path, env.payload, 'unknown-recipient');
      return;
    }
    let message: unknown;
    try {
      message = this.serialization.fromWire(env.manifest, env.payload);
    } catch (e) {
      this.refused(ep, e);
      this.system.deadLetter(this.address + env.path, env.payload, 'malformed');
      return;
    }
    const target = this.localRef(env.path);
    if (!target) {
      this.system.deadLetter(this.address + env.path, message, 'unknown-recipient');
      return;
    }
    target.tell(message);
  }

  private refused(ep: Endpoint, e: unknown): void {
    const error =
      e instanceof RemoteError ? e : new RemoteError('REMOTE_ERR_INTERNAL', String(e), { cause: e });
    this.emit({ type: 'refused-message', peer: ep.transportAddress, error });
    this.system.log.warn(`refused a message from ${ep.transportAddress}`, error);
  }

  private emit(event: RemoteEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (e) {
        this.system.log.error('a remote event listener threw', e);
      }
    }
  }
}
