import { type ActorContext, type ActorRef, type Behavior, receive, setup } from '@troupe/core';
import { parseAddress, type RemoteNode } from '@troupe/remote';
import { type CacheSettings, type Consistency, replicasNeeded } from '../CacheSettings';
import { StatsCounters } from '../CacheStats';
import { type Entry, EntryStore, isLive } from '../EntryStore';
import { HashRing } from '../HashRing';
import { compareTimestamps, HybridLogicalClock, type Timestamp } from '../HybridLogicalClock';
import { MerkleTree } from '../MerkleTree';
import {
  type AntiEntropyEntries,
  type AntiEntropyTree,
  type CacheReply,
  type CacheReplyBatch,
  type ClientRequest,
  type ClientRequestBatch,
  type DeleteRequest,
  ENTRY_STRIDE,
  type GetRequest,
  itemBytes,
  plainStringJsonBytes,
  type LeaseGrant,
  type LeaseRequest,
  type PeerMessage,
  type PutRequest,
  READ_ENTRY,
  READ_NONE,
  READ_SAME,
  READ_STRIDE,
  type ReplicaBatch,
  REQUEST_GET,
  REQUEST_PUT,
  REQUEST_STRIDE,
  type ReplicaReplies,
  REPLY_READ_STRIDE,
  REPLY_REFUSED_STRIDE,
  REPLY_VERSION_STRIDE,
  REPLY_WRITE_STRIDE,
  type SyncChunk,
  type SyncRequest,
  VERSION_STRIDE,
  WRITE_STRIDE,
} from './protocol';

/** Messages only this node sends its cache actor: membership changes and timer ticks. */
export type LocalMessage =
  | { readonly type: 'cache/members'; readonly members: readonly string[] }
  | { readonly type: 'cache/deadline' }
  | { readonly type: 'cache/retry' }
  /** What the failure detectors say of a peer, by transport address (`source`: remoting or the cluster's). */
  | {
      readonly type: 'cache/reachability';
      readonly transport: string;
      readonly reachable: boolean;
      readonly source: 'remote' | 'cluster';
    }
  | { readonly type: 'cache/tick-hints' }
  | { readonly type: 'cache/tick-ae' }
  | { readonly type: 'cache/tick-sweep' }
  | { readonly type: 'cache/tick-sync' }
  | { readonly type: 'cache/tick-rebalance' }
  | { readonly type: 'cache/flush' };

export type CacheMessage = ClientRequest | ClientRequestBatch | PeerMessage | LocalMessage;

/** The actor's name on every node: peers find each other's replicas at `<node address>/user/<name>`. */
export const CACHE_ACTOR_NAME = 'replicated-cache';

/** Sync entries per message when a recovering peer asks for them. */
const SYNC_CHUNK = 256;
/** Hints sent per peer per tick. */
const HINTS_PER_TICK = 256;
/** Preference lists kept per ring. */
const PREFERENCES_KEPT = 65_536;
/** Most replicas of a key whose choice a coordinator tracks (bits of a number); beyond, it asks them all. */
const TARGETED_MAX = 30;

/** Answers to one client's batched requests, laid out as in {@link CacheReplyBatch}. */
interface ReplyBox {
  done: number[];
  found: unknown[];
  failed: unknown[];
  /** As `itemBytes` counts them; at `maxMessageBytes` the box goes at once. */
  bytes: number;
}

/** Items for one peer, laid out as in {@link ReplicaBatch}. */
interface Outbox {
  reads: unknown[];
  versions: unknown[];
  writes: unknown[];
  /** Bytes of keys and values in it, as `itemBytes` counts them; at `maxMessageBytes` it goes at once. */
  bytes: number;
}

/**
 * Splits entries into chunks of at most `SYNC_CHUNK` entries and `maxBytes` of keys and values (a chunk always
 * takes one entry, which settings guarantee fits): a message over the transport's largest would be refused whole.
 * At least one chunk, empty when there are no entries: a sync or anti-entropy exchange always sends something.
 */
function chunksOf(entries: readonly [string, Entry][], maxBytes: number): [string, Entry][][] {
  const chunks: [string, Entry][][] = [];
  let chunk: [string, Entry][] = [];
  let bytes = 0;
  for (const pair of entries) {
    const n = itemBytes(pair[0], pair[1].size);
    if (chunk.length > 0 && (chunk.length >= SYNC_CHUNK || bytes + n > maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(pair);
    bytes += n;
  }
  if (chunk.length > 0 || chunks.length === 0) chunks.push(chunk);
  return chunks;
}

/** Appends one write to a batch's flat `writes` (see {@link ReplicaBatch.writes}). */
function pushWrite(writes: unknown[], id: number, key: string, entry: Entry): void {
  const { ts } = entry;
  writes.push(id, key, entry.deleted ? 1 : 0, ts[0], ts[1], ts[2], entry.expiresAt, entry.size, entry.value);
}

interface ReadOp {
  readonly kind: 'read';
  readonly request: GetRequest;
  deadline: number;
  /** The entry this node held when the read began, offered to the other replicas as a digest. */
  digest: Entry | undefined;
  readonly replicas: readonly string[];
  readonly needed: number;
  /** Bit i: `replicas[i]` was asked (this node's own replica: it answered). */
  asked: number;
  askedCount: number;
  /** When to ask the replicas not asked yet, if the answers have not come. */
  retryAt: number;
  readonly responses: Map<string, Entry | null>;
  readonly failures: Map<string, string>;
  /** Set once the read has picked its answer. */
  best: Entry | null | undefined;
  /** While writing the answer back: the replicas known to hold it (or newer). */
  holders: Set<string> | undefined;
  writeBackId: number;
  done: boolean;
  readonly ids: number[];
  /** Replicas that refused the write-back under a lease, by the lease's holder (see `onRefused`). */
  refused: Map<string, string> | undefined;
}

interface WriteOp {
  readonly kind: 'write';
  readonly request: PutRequest | DeleteRequest;
  deadline: number;
  readonly replicas: readonly string[];
  readonly needed: number;
  /** Bit i: `replicas[i]` was asked for its version (this node's own replica: it answered). */
  asked: number;
  askedCount: number;
  /** When to ask the replicas not asked yet, if the answers have not come. */
  retryAt: number;
  /** The version this node's replica held, offered to the others: they answer only with one above it. */
  offered: Timestamp | undefined;
  /** First the versions a quorum holds are learned ('query'), then the write goes out above them ('write'). */
  phase: 'query' | 'write';
  /** Query phase: the replicas (ready ones) that answered with their version. */
  readonly versions: Set<string>;
  /** A version learned was stamped ahead of this node's clock. */
  behind: boolean;
  /** Set when the write phase begins. */
  entry: Entry | undefined;
  readonly acked: Set<string>;
  readonly failures: Map<string, string>;
  done: boolean;
  readonly ids: number[];
  value: unknown;
  size: number;
  /** Replicas that refused the write under a lease, by the lease's holder (see `onRefused`). */
  refused: Map<string, string> | undefined;
}

type Op = ReadOp | WriteOp;

/** A write lease this node granted (see `leaseCovers`). */
interface GrantedLease {
  readonly holder: string;
  /** The replica set, by name, on `ring`. */
  readonly set: string;
  /** This node's clock when the lease began: writes of others above it are refused. */
  readonly ceiling: Timestamp;
  /** Monotonic. */
  expiresAt: number;
  readonly ring: HashRing;
}

/** What `startCache` shares with the actor: the counters and the store, for `stats()` and inspection. */
export interface CacheShared {
  readonly counters: StatsCounters;
  store: EntryStore | undefined;
  ring: HashRing;
  ready: boolean;
  hints: number;
}

/**
 * One node's cache: coordinator of the requests it receives and replica of the keys the ring gives it, in one
 * actor so that a coordinator that is also a replica reads and writes its own store without a message.
 */
export function cacheActor(
  node: RemoteNode,
  settings: CacheSettings,
  initialMembers: readonly string[],
  shared: CacheShared,
): Behavior<CacheMessage> {
  return setup<CacheMessage>((ctx) => {
    const replica = new CacheReplica(ctx, node, settings, shared);
    replica.setMembers(initialMembers);
    ctx.timers.startTimerAtFixedRate('hints', { type: 'cache/tick-hints' }, settings.hintIntervalMs);
    ctx.timers.startTimerAtFixedRate(
      'ae',
      { type: 'cache/tick-ae' },
      settings.antiEntropyIntervalMs,
      // Spread the first round over the interval, so that nodes started together do not compare in lockstep.
      Math.floor(ctx.system.random.next() * settings.antiEntropyIntervalMs) + 1,
    );
    ctx.timers.startTimerAtFixedRate('sweep', { type: 'cache/tick-sweep' }, settings.sweepIntervalMs);
    return receive<CacheMessage>((_ctx, msg) => {
      replica.handle(msg);
    });
  });
}

class CacheReplica {
  private readonly self: string;
  private readonly selfRef: ActorRef<PeerMessage>;
  private readonly hlc: HybridLogicalClock;
  private readonly store: EntryStore;
  private readonly counters: StatsCounters;
  private ring = new HashRing([], 1);
  private readonly ops = new Map<number, Op>();
  /** Operations not yet forgotten, by timeout, in the order they began (so by deadline). */
  private readonly deadlines = new Map<number, Set<Op>>();
  /** When the deadline timer fires (Infinity: not armed). */
  private deadlineAt = Infinity;
  /**
   * Operations that asked only some replicas, by the delay after which they ask the others, in the order they
   * began (so by when they do). Consumed from `head`; completed operations are skipped when their time comes.
   */
  private readonly retries = new Map<number, { ops: Op[]; head: number }>();
  /** When the retry timer fires (Infinity: not armed). */
  private retryTimerAt = Infinity;
  /** Turns the choice of the replicas asked first (at every flush), so that no one replica gets every request. */
  private rotation = 0;
  private chose = false;
  /** Transport addresses that remoting's, or the cluster's, failure detector holds unreachable. */
  private readonly downByRemote = new Set<string>();
  private readonly downByCluster = new Set<string>();
  /** Peers whose latest answer said they are recovering (their answers do not count). */
  private readonly recovering = new Set<string>();
  /** Peers that let an answer come late (past `speculativeRetryMs`), until they answer anything again. */
  private readonly late = new Set<string>();
  /** Members not to ask first: unreachable, recovering or late. */
  private avoid = new Set<string>();
  private readonly transports = new Map<string, string>();
  /** Position of every other member on the current ring's member list, this node left out; and how many. */
  private memberIndex = new Map<string, number>();
  private others = 1;
  /** Preference lists of keys on the current ring (cleared when it changes). */
  private preferences = new Map<string, readonly string[]>();
  /** The distinct preference lists of the current ring, by their members in order (at most members^N). */
  private lists = new Map<string, readonly string[]>();
  private nextId = 1;
  private readonly refs = new Map<string, ActorRef<PeerMessage>>();
  private readonly outboxes = new Map<string, Outbox>();
  /** Answers to batched client requests, per reply-to ref: they go at the flush, one message per client. */
  private readonly replyBoxes = new Map<ActorRef<CacheReply>, ReplyBox>();
  private flushPending = false;
  /** Per peer: key → entry that peer has not acknowledged. */
  private readonly hints = new Map<string, Map<string, Entry>>();
  private hintCount = 0;
  /** Recovery: whether this replica may answer; the sync round and the peers that have sent all of theirs. */
  private ready = false;
  private inRing = false;
  private syncRound = 0;
  private readonly synced = new Set<string>();
  private readonly syncChunks = new Map<string, Set<number>>();
  /** Handoff after a membership change: keys still to look at, and the ring they were placed by. */
  private rebalanceQueue: string[] = [];
  private rebalanceFrom: HashRing | undefined;
  /** The ring's members, space-separated: what a lease request names its ring by. */
  private ringKey = '';

  /** The answers of `leaseCovers` during the current message, per preference list. */
  private readonly leaseMemo = new Map<readonly string[], boolean>();

  /** A replica set's name (its members sorted, space-separated), per preference list (cached per key). */
  private readonly setNames = new WeakMap<readonly string[], string>();

  // Write leases, as holder: see `leaseCovers`.
  /** Per replica set, per granter: until when (monotonic) its grant may be used. */
  private readonly leaseGrants = new Map<string, Map<string, number>>();
  /** Per granter: when (monotonic) its grants were dropped because it restarted or rejoined. */
  private readonly leaseDropped = new Map<string, number>();
  /** Lease requests sent, by round: when (monotonic), on which ring, for which replica set. */
  private readonly leaseRounds = new Map<number, { sentAt: number; ring: HashRing; set: string }>();
  private leaseRound = 0;
  /** Per replica set: when (monotonic) to ask again, while writes keep using the lease. */
  private readonly leaseAskAt = new Map<string, number>();
  // Write leases, as granter: see `refusingHolder`.
  /** Per replica set on the current ring: the holder, the clock when its lease began, when it expires here. */
  private readonly leasesGranted = new Map<string, GrantedLease>();
  /** Leases granted on an earlier ring, still running: refused by, until they expire. */
  private oldLeases: GrantedLease[] = [];
  /** When (monotonic) this actor started: a restarted node may have granted leases it no longer knows of. */
  private readonly startedAt: number;
  /** Members that have answered this sync round: they have dropped any grant this node gave before. */
  private readonly heard = new Set<string>();

  constructor(
    private readonly ctx: ActorContext<CacheMessage>,
    private readonly node: RemoteNode,
    private readonly settings: CacheSettings,
    private readonly shared: CacheShared,
  ) {
    this.self = node.address;
    this.selfRef = ctx.self as ActorRef<PeerMessage>;
    this.hlc = new HybridLogicalClock(ctx.system.clock, node.incarnation);
    this.store = new EntryStore({ maxBytes: settings.maxBytes, tombstoneGraceMs: settings.tombstoneGraceMs });
    this.counters = shared.counters;
    shared.store = this.store;
    this.startedAt = ctx.system.clock.monotonic();
  }

  /**
   * The clock as the message being handled began: read once per message, not at each of the hundred writes a
   * batch may hold (a read of the clock costs about 80 ns, and a write asked for it half a dozen times).
   */
  private clockAtMessage: number | undefined = undefined;

  private get now(): number {
    return this.clockAtMessage ?? this.ctx.system.clock.now();
  }

  /**
   * The monotonic clock as the message being handled began, read once per message as well. Leases allow for it:
   * the holder stops using a grant a fifth of its time early, far more than one message takes.
   */
  private monoAtMessage: number | undefined = undefined;
  private inMessage = false;

  private get mono(): number {
    if (!this.inMessage) return this.ctx.system.clock.monotonic();
    return (this.monoAtMessage ??= this.ctx.system.clock.monotonic());
  }

  handle(msg: CacheMessage): void {
    this.clockAtMessage = this.ctx.system.clock.now();
    this.monoAtMessage = undefined;
    this.inMessage = true;
    try {
      this.dispatch(msg);
    } finally {
      this.clockAtMessage = undefined;
      this.monoAtMessage = undefined;
      this.inMessage = false;
      if (this.leaseMemo.size > 0) this.leaseMemo.clear();
    }
  }

  private dispatch(msg: CacheMessage): void {
    switch (msg.type) {
      case 'cache/get':
        return this.startRead(msg);
      case 'cache/put':
      case 'cache/delete':
        return this.startWrite(msg);
      case 'cache/requests':
        return this.onRequests(msg);
      case 'cache/batch':
        return this.onBatch(msg);
      case 'cache/replies':
        return this.onReplies(msg);
      case 'cache/flush':
        return this.flush();
      case 'cache/sync-request':
        return this.onSyncRequest(msg);
      case 'cache/lease-request':
        return this.onLeaseRequest(msg);
      case 'cache/lease-grant':
        return this.onLeaseGrant(msg);
      case 'cache/sync-chunk':
        return this.onSyncChunk(msg);
      case 'cache/ae-tree':
        return this.onTree(msg);
      case 'cache/ae-entries':
        return this.onEntries(msg);
      case 'cache/members':
        return this.setMembers(msg.members);
      case 'cache/deadline':
        return this.onDeadlines();
      case 'cache/retry':
        return this.onRetries();
      case 'cache/reachability':
        return this.onReachability(msg.transport, msg.reachable, msg.source);
      case 'cache/tick-hints':
        return this.deliverHints();
      case 'cache/tick-ae':
        return this.startAntiEntropy();
      case 'cache/tick-sweep':
        this.store.sweep(this.now);
        return;
      case 'cache/tick-sync':
        return this.requestSync();
      case 'cache/tick-rebalance':
        return this.rebalanceStep();
    }
  }

  // ---------------------------------------------------------------- membership

  setMembers(members: readonly string[]): void {
    const next = new HashRing(members, this.settings.vnodes);
    if (next.members.join(' ') === this.ring.members.join(' ')) return;
    const previous = this.ring;
    this.ring = next;
    this.ringKey = next.members.join(' ');
    this.shared.ring = next;
    this.preferences = new Map();
    this.lists = new Map();
    // Grants were for the old ring's replica sets; leases granted on it still hold until they run out.
    this.leaseGrants.clear();
    this.leaseAskAt.clear();
    for (const lease of this.leasesGranted.values()) this.oldLeases.push(lease);
    this.leasesGranted.clear();
    const others = next.members.filter((m) => m !== this.self);
    this.memberIndex = new Map(others.map((m, i) => [m, i]));
    this.others = Math.max(1, others.length);
    this.updateAvoid();
    const wasInRing = this.inRing;
    this.inRing = next.members.includes(this.self);
    if (this.inRing && !wasInRing) {
      // Becoming a replica (at start, after a restart, or joining): answer nothing until peers have sent what
      // this node may have missed (or lost with its memory), or a quorum could be missing a write it acked.
      this.ready = false;
      this.shared.ready = false;
      this.startSync();
    } else if (!this.inRing) {
      this.setReady(false);
    } else if (!this.ready) {
      this.requestSync();
    }
    if (previous.size > 0 && this.store.size > 0) {
      // Hand keys to their new owners in the background: a batch per message, requests served in between.
      this.rebalanceFrom = previous;
      this.rebalanceQueue = [...this.store.entries()].map(([k]) => k);
      this.ctx.self.tell({ type: 'cache/tick-rebalance' });
    }
  }

  private rebalanceStep(): void {
    const from = this.rebalanceFrom;
    if (!from) return;
    const n = this.settings.replicationFactor;
    const batch = this.rebalanceQueue.splice(0, this.settings.rebalanceBatch);
    for (const key of batch) {
      const entry = this.store.peek(key);
      if (!entry) continue;
      const now = this.replicasOf(key);
      const before = from.preferenceList(key, n);
      const mine = now.includes(this.self);
      for (const owner of now) {
        if (owner === this.self) continue;
        // Still a replica: only owners that are new need it. No longer one: every owner gets it once more.
        if (mine && before.includes(owner)) continue;
        this.addHint(owner, key, entry);
        this.counters.keysMoved++;
      }
      if (!mine) this.store.drop(key);
    }
    if (this.rebalanceQueue.length > 0) this.ctx.self.tell({ type: 'cache/tick-rebalance' });
    else this.rebalanceFrom = undefined;
  }

  /** A key's replicas on the current ring, primary first; looked up once per ring. */
  private replicasOf(key: string): readonly string[] {
    let list = this.preferences.get(key);
    if (!list) {
      const found = this.ring.preferenceList(key, this.settings.replicationFactor);
      // Keys with the same replicas in the same order share one list, so that what is worked out per list (its
      // set's name, whether a lease covers it) is looked up by the one object.
      const name = found.join('\n');
      list = this.lists.get(name);
      if (!list) this.lists.set(name, (list = found));
      // Bounded: a cache of many keys looks them up again rather than keeping a list per key it ever saw.
      if (this.preferences.size >= PREFERENCES_KEPT) this.preferences.clear();
      this.preferences.set(key, list);
    }
    return list;
  }

  private refOf(member: string): ActorRef<PeerMessage> {
    let ref = this.refs.get(member);
    if (!ref) {
      ref = this.node.refFor<PeerMessage>(`${member}/user/${CACHE_ACTOR_NAME}`);
      this.refs.set(member, ref);
    }
    return ref;
  }

  private setReady(ready: boolean): void {
    this.ready = ready;
    this.shared.ready = ready;
  }

  // ---------------------------------------------------------------- reachability

  private transportOf(member: string): string {
    let t = this.transports.get(member);
    if (t === undefined) {
      try {
        t = parseAddress(member).transport;
      } catch {
        t = member;
      }
      this.transports.set(member, t);
    }
    return t;
  }

  private updateAvoid(): void {
    const avoid = new Set<string>();
    for (const m of this.ring.members) {
      if (m === this.self) continue;
      const t = this.transportOf(m);
      if (this.downByRemote.has(t) || this.downByCluster.has(t) || this.recovering.has(m) || this.late.has(m))
        avoid.add(m);
    }
    this.avoid = avoid;
  }

  private onReachability(transport: string, reachable: boolean, source: 'remote' | 'cluster'): void {
    const down = source === 'remote' ? this.downByRemote : this.downByCluster;
    if (reachable === !down.has(transport)) return;
    if (reachable) down.delete(transport);
    else down.add(transport);
    this.updateAvoid();
    if (reachable) return;
    // Whatever waits for an answer from it asks the other replicas now rather than after the delay.
    for (const m of this.ring.members) if (this.transportOf(m) === transport) this.widenWaitingOn(m);
  }

  private widenWaitingOn(member: string): void {
    for (const op of this.ops.values()) {
      if (!this.isQuerying(op) || op.askedCount === op.replicas.length) continue;
      const i = op.replicas.indexOf(member);
      if (i < 0 || !(op.asked & (1 << i)) || this.hasAnswered(op, member)) continue;
      this.widen(op);
    }
  }

  private hasAnswered(op: Op, member: string): boolean {
    return (
      op.failures.has(member) || (op.kind === 'write' ? op.versions.has(member) : op.responses.has(member))
    );
  }

  // ---------------------------------------------------------------- recovery

  private startSync(): void {
    this.synced.clear();
    this.syncChunks.clear();
    this.heard.clear();
    this.syncRound++;
    this.requestSync();
    this.ctx.timers.startTimerAtFixedRate('sync', { type: 'cache/tick-sync' }, this.settings.syncRetryMs);
  }

  private requestSync(): void {
    if (this.ready) {
      this.ctx.timers.cancel('sync');
      return;
    }
    if (this.checkSynced()) return;
    for (const member of this.ring.members) {
      if (member === this.self || this.synced.has(member)) continue;
      this.refOf(member).tell({
        type: 'cache/sync-request',
        round: this.syncRound,
        from: this.self,
        replyTo: this.selfRef,
      });
    }
  }

  /**
   * Ready once, for every preference list this node is in, `n - q + 1` of the other replicas have sent their
   * entries: then every quorum that acknowledged a write with this node in it also had one of those, so the write
   * is here now.
   */
  private checkSynced(): boolean {
    for (const list of this.ring.allPreferenceLists(this.settings.replicationFactor)) {
      if (!list.includes(this.self)) continue;
      const n = list.length;
      const required = n <= 1 ? 0 : n - replicasNeeded('quorum', n) + 1;
      let have = 0;
      for (const m of list) if (m !== this.self && this.synced.has(m)) have++;
      if (have < required) return false;
    }
    if (!this.leaseQuiet()) return false;
    this.setReady(true);
    this.ctx.timers.cancel('sync');
    return true;
  }

  private onSyncRequest(msg: SyncRequest): void {
    // It restarted (or left and came back): whatever it granted before is forgotten there, so it no longer counts
    // here, and a grant asked for before now is not taken when it comes.
    for (const grants of this.leaseGrants.values()) grants.delete(msg.from);
    this.leaseDropped.set(msg.from, this.mono);
    const entries: [string, Entry][] = [];
    for (const [key, entry] of this.store.entries())
      if (this.replicasOf(key).includes(msg.from)) entries.push([key, entry]);
    const chunks = chunksOf(entries, this.settings.maxMessageBytes);
    const count = chunks.length;
    for (let i = 0; i < count; i++) {
      msg.replyTo.tell({
        type: 'cache/sync-chunk',
        round: msg.round,
        from: this.self,
        index: i,
        count,
        floor: this.store.floor ?? null,
        entries: chunks[i],
      });
    }
  }

  private onSyncChunk(msg: SyncChunk): void {
    const now = this.now;
    for (const [key, entry] of msg.entries) {
      this.hlc.observe(entry.ts);
      this.store.apply(key, entry, now);
    }
    if (msg.floor) {
      this.hlc.observe(msg.floor);
      this.store.raiseFloor(msg.floor);
    }
    if (this.ready || msg.round !== this.syncRound) return;
    this.heard.add(msg.from);
    const tag = `${msg.from} ${msg.count}`;
    let got = this.syncChunks.get(tag);
    if (!got) this.syncChunks.set(tag, (got = new Set()));
    got.add(msg.index);
    if (got.size === msg.count) {
      this.synced.add(msg.from);
      this.checkSynced();
    }
  }

  // ---------------------------------------------------------------- batching

  /**
   * Requests for a peer wait here until the messages already in this actor's mailbox have been handled (a
   * `cache/flush` sent to itself comes after them), then go as one message: with many requests in flight, one
   * message per peer carries many of them, each way.
   */
  private outboxOf(peer: string): Outbox {
    let box = this.outboxes.get(peer);
    if (!box) this.outboxes.set(peer, (box = { reads: [], versions: [], writes: [], bytes: 0 }));
    this.flushSoon();
    return box;
  }

  private flushSoon(): void {
    if (!this.flushPending) {
      this.flushPending = true;
      this.ctx.self.tell({ type: 'cache/flush' });
    }
  }

  private flush(): void {
    this.flushPending = false;
    // Only a turn that chose passes it on: turns of requests and turns of replies alternate, and counting both
    // would give every turn of requests the same replica.
    if (this.chose) {
      this.rotation++;
      this.chose = false;
    }
    for (const [peer, box] of this.outboxes) this.send(peer, box);
    for (const [replyTo, box] of this.replyBoxes) this.sendReplies(replyTo, box);
    this.replyBoxes.clear();
  }

  /** Counts `bytes` more into a peer's outbox, and sends it at once when it is full. */
  private charge(peer: string, box: Outbox, bytes: number): void {
    box.bytes += bytes;
    if (box.bytes >= this.settings.maxMessageBytes) this.send(peer, box);
  }

  private send(peer: string, box: Outbox): void {
    if (box.reads.length === 0 && box.versions.length === 0 && box.writes.length === 0) return;
    this.refOf(peer).tell({
      type: 'cache/batch',
      from: this.self,
      reads: box.reads,
      versions: box.versions,
      writes: box.writes,
      replyTo: this.selfRef,
    });
    this.outboxes.set(peer, { reads: [], versions: [], writes: [], bytes: 0 });
  }

  private onBatch(msg: ReplicaBatch): void {
    const ready = this.ready;
    this.counters.readsServed += msg.reads.length / READ_STRIDE;
    this.counters.versionsServed += msg.versions.length / VERSION_STRIDE;
    let reads: number[] = [];
    let entries: unknown[] = [];
    let bytes = 0;
    const acks: number[] = [];
    const writes: unknown[] = [];
    let refused: unknown[] | undefined;
    const answer = (parts: Omit<ReplicaReplies, 'type' | 'from' | 'ready'>): void =>
      msg.replyTo.tell({ type: 'cache/replies', from: this.self, ready, ...parts });
    const r = msg.reads;
    for (let i = 0; i < r.length; i += READ_STRIDE) {
      const id = r[i] as number;
      const entry = ready ? this.store.get(r[i + 1] as string) : undefined;
      if (!entry) {
        reads.push(id, READ_NONE);
      } else if (entry.ts[2] === r[i + 4] && entry.ts[0] === r[i + 2] && entry.ts[1] === r[i + 3]) {
        // The coordinator holds this very version (timestamps name one write): no need to send it back.
        reads.push(id, READ_SAME);
      } else {
        reads.push(id, READ_ENTRY);
        const { ts } = entry;
        entries.push(ts[0], ts[1], ts[2], entry.deleted ? 1 : 0, entry.expiresAt, entry.size, entry.value);
        bytes += itemBytes('', entry.size);
        if (bytes >= this.settings.maxMessageBytes) {
          // Values for many reads: they go in several replies, each whole (its reads with their entries).
          answer({ reads, entries, current: [], versions: [], acks: [], writes: [] });
          reads = [];
          entries = [];
          bytes = 0;
        }
      }
    }
    const current: number[] = [];
    const versions: unknown[] = [];
    const v = msg.versions;
    for (let i = 0; i < v.length; i += VERSION_STRIDE) {
      // Written even while recovering (the answer says so): the clock must still move past what is held. Only a
      // version above the one the coordinator offered is news to it.
      const held = this.store.versionOf(v[i + 1] as string);
      const node = v[i + 4] as string;
      if (
        held &&
        (node === '' || compareTimestamps(held, [v[i + 2] as number, v[i + 3] as number, node]) > 0)
      )
        versions.push(v[i], held[0], held[1], held[2]);
      else current.push(v[i] as number);
    }
    const w = msg.writes;
    const mayRefuse = w.length > 0 && this.leasesMayRefuse(msg.from, msg.confirmedBy);
    for (let i = 0; i < w.length; i += WRITE_STRIDE) {
      const id = w[i] as number;
      const key = w[i + 1] as string;
      const deleted = w[i + 2] === 1;
      const entry: Entry = {
        ts: [w[i + 3] as number, w[i + 4] as number, w[i + 5] as string],
        value: deleted ? null : w[i + 8],
        deleted,
        expiresAt: w[i + 6] as number,
        size: w[i + 7] as number,
      };
      if (mayRefuse) {
        const holder = this.refusingHolder(msg.from, key, entry.ts, msg.confirmedBy);
        if (holder !== undefined) {
          // Not stored, not answered as held: a hint or repair (id 0) comes again later.
          if (id !== 0) (refused ??= []).push(id, holder);
          continue;
        }
      }
      this.applyWrite(key, entry);
      // Held now: this write, or a newer version (a write leaves a version behind, or the floor is above it).
      const held = this.store.versionOf(key) ?? entry.ts;
      if (id !== 0 && compareTimestamps(held, entry.ts) === 0) acks.push(id);
      else writes.push(id, held[0], held[1], held[2], id === 0 ? key : '');
    }
    answer(
      refused
        ? { reads, entries, current, versions, acks, writes, refused }
        : { reads, entries, current, versions, acks, writes },
    );
  }

  private onReplies(msg: ReplicaReplies): void {
    const { from, ready } = msg;
    if (ready === this.recovering.has(from) || this.late.has(from)) {
      if (ready) this.recovering.delete(from);
      else this.recovering.add(from);
      this.late.delete(from);
      this.updateAvoid();
    }
    const r = msg.reads;
    const e = msg.entries;
    let j = 0;
    for (let i = 0; i < r.length; i += REPLY_READ_STRIDE) {
      const id = r[i];
      const answer = r[i + 1];
      let entry: Entry | null = null;
      if (answer === READ_ENTRY) {
        entry = {
          ts: [e[j] as number, e[j + 1] as number, e[j + 2] as string],
          deleted: e[j + 3] === 1,
          value: e[j + 3] === 1 ? null : e[j + 6],
          expiresAt: e[j + 4] as number,
          size: e[j + 5] as number,
        };
        j += ENTRY_STRIDE;
      } else if (answer === READ_SAME) {
        const op = this.ops.get(id);
        // "Same" can only answer a read that offered a version.
        if (!op || op.kind !== 'read' || !op.digest) continue;
        entry = op.digest;
      }
      this.onReadReply(id, from, ready, entry);
    }
    for (const id of msg.current) this.onVersion(id, from, ready, undefined);
    const v = msg.versions;
    for (let i = 0; i < v.length; i += REPLY_VERSION_STRIDE)
      this.onVersion(v[i] as number, from, ready, [
        v[i + 1] as number,
        v[i + 2] as number,
        v[i + 3] as string,
      ]);
    for (const id of msg.acks) {
      const op = this.ops.get(id);
      if (!op) continue;
      // The replica holds what was sent.
      const sent = op.kind === 'write' ? op.entry : op.best;
      this.onWriteReply(id, from, op.request.key, ready, sent ? sent.ts : null, true);
    }
    const w = msg.writes;
    for (let i = 0; i < w.length; i += REPLY_WRITE_STRIDE) {
      const id = w[i] as number;
      const held: Timestamp = [w[i + 1] as number, w[i + 2] as number, w[i + 3] as string];
      if (id === 0) {
        this.onWriteReply(0, from, w[i + 4] as string, ready, held);
        continue;
      }
      const op = this.ops.get(id);
      if (op) this.onWriteReply(id, from, op.request.key, ready, held);
      else this.hlc.observe(held);
    }
    const refused = msg.refused;
    if (refused)
      for (let i = 0; i < refused.length; i += REPLY_REFUSED_STRIDE)
        this.onRefused(refused[i] as number, from, refused[i + 1] as string);
  }

  // ---------------------------------------------------------------- batched client requests

  /** A remote client's requests of one turn: each starts as if it had come alone; answers go back batched. */
  private onRequests(msg: ClientRequestBatch): void {
    const items = msg.items;
    const replyTo = msg.replyTo as unknown as ActorRef<CacheReply>;
    for (let i = 0; i < items.length; i += REQUEST_STRIDE) {
      const kind = items[i];
      // One object per request, of one shape for every kind (a get or a delete carries a put's two fields unused):
      // no spread of a common part. `batched` (see `reply`) is this node's own mark, never on the wire.
      const isPut = kind === REQUEST_PUT;
      const request = {
        type: isPut ? 'cache/put' : kind === REQUEST_GET ? 'cache/get' : 'cache/delete',
        id: items[i + 1] as number,
        key: items[i + 2] as string,
        consistency: items[i + 3] as Consistency,
        timeoutMs: items[i + 4] as number,
        replyTo,
        batched: true,
        ttlMs: isPut ? (items[i + 5] as number) : 0,
        value: isPut ? items[i + 6] : null,
      };
      if (kind === REQUEST_GET) this.startRead(request as GetRequest);
      else this.startWrite(request as PutRequest | DeleteRequest);
    }
  }

  // ---------------------------------------------------------------- replica side

  /** Merges a write into this replica's store, last writer wins; the clock moves past it. */
  private applyWrite(key: string, entry: Entry): void {
    this.hlc.observe(entry.ts);
    this.store.apply(key, entry, this.now);
  }

  // ---------------------------------------------------------------- coordinator: reads

  private startRead(request: GetRequest): void {
    this.counters.gets++;
    const replicas = this.replicasOf(request.key);
    const op: ReadOp = {
      kind: 'read',
      request,
      deadline: 0,
      replicas,
      needed: replicasNeeded(request.consistency, replicas.length),
      responses: new Map(),
      failures: new Map(),
      digest: undefined,
      asked: 0,
      askedCount: 0,
      retryAt: 0,
      best: undefined,
      holders: undefined,
      writeBackId: 0,
      done: false,
      ids: [],
      refused: undefined,
    };
    const invalid = this.checkKey(request.key);
    if (invalid) return this.reject(op, invalid[0], invalid[1]);
    if (replicas.length === 0) return this.fail(op, 'no members on the ring');
    const id = this.register(op, request.timeoutMs);
    const self = replicas.indexOf(this.self);
    if (self >= 0) {
      // This node's own answer first: the version it holds goes to the others as a digest.
      const local = this.ready ? (this.store.get(request.key) ?? null) : null;
      if (local) op.digest = local;
      this.countAsked(op, self);
      this.onReadReply(id, this.self, this.ready, local);
    }
    this.askFirst(op);
  }

  private onReadReply(id: number, from: string, ready: boolean, entry: Entry | null): void {
    const op = this.ops.get(id);
    if (entry) this.hlc.observe(entry.ts);
    if (!op || op.kind !== 'read' || op.responses.has(from) || !op.replicas.includes(from)) return;
    if (!ready) {
      op.failures.set(from, 'recovering');
    } else {
      op.responses.set(from, entry);
      if (op.best !== undefined) this.repairIfStale(op, from, entry);
    }
    if (op.done && op.responses.size + op.failures.size === op.askedCount) return this.forget(op);
    if (op.done || op.best !== undefined) return;
    if (op.responses.size >= op.needed) return this.decideRead(op);
    if (op.replicas.length - op.failures.size < op.needed) return this.fail(op, this.shortfall(op));
    // A recovering replica cannot count: the others are asked now.
    if (!ready) this.widen(op);
  }

  private decideRead(op: ReadOp): void {
    let best: Entry | null = null;
    for (const e of op.responses.values()) if (e && (!best || compareTimestamps(e.ts, best.ts) > 0)) best = e;
    op.best = best;
    const holders = new Set<string>();
    for (const [from, e] of op.responses) {
      if (best && e && compareTimestamps(e.ts, best.ts) === 0) holders.add(from);
      else if (!best) holders.add(from);
    }
    const answerNow = op.request.consistency === 'one' || holders.size >= op.needed || best === null;
    if (!answerNow) {
      // ABD's second phase: before answering, make sure a quorum holds the answer, so that no later read can
      // return anything older. Replicas already holding it count; the others get it (read repair for them too).
      this.counters.writeBacks++;
      op.holders = holders;
      op.writeBackId = this.nextId++;
      op.ids.push(op.writeBackId);
      this.ops.set(op.writeBackId, op);
    }
    for (const [from, e] of op.responses) this.repairIfStale(op, from, e);
    if (answerNow || best === null) return this.answerRead(op);
    for (const r of op.replicas)
      if (!holders.has(r) && !op.responses.has(r)) this.sendWrite(r, op.writeBackId, op.request.key, best);
  }

  /** A replica that answered with something older than the read's answer gets the answer. */
  private repairIfStale(op: ReadOp, from: string, entry: Entry | null): void {
    const best = op.best;
    if (!best || (entry && compareTimestamps(entry.ts, best.ts) >= 0)) return;
    this.counters.readRepairs++;
    const id = op.holders ? op.writeBackId : 0;
    this.sendWrite(from, id, op.request.key, best);
  }

  private answerRead(op: ReadOp): void {
    if (op.done) return;
    op.done = true;
    const best = op.best;
    if (best && isLive(best, this.now)) {
      this.counters.hits++;
      this.reply(op.request, { ok: true, found: true, value: best.value }, best.size);
    } else {
      this.counters.misses++;
      this.reply(op.request, { ok: true, found: false, value: null });
    }
    if (op.responses.size + op.failures.size === op.askedCount) this.forget(op);
  }

  // ---------------------------------------------------------------- coordinator: writes

  private startWrite(request: PutRequest | DeleteRequest): void {
    const isPut = request.type === 'cache/put';
    if (isPut) this.counters.puts++;
    else this.counters.deletes++;
    const replicas = this.replicasOf(request.key);
    const op: WriteOp = {
      kind: 'write',
      request,
      deadline: 0,
      replicas,
      needed: replicasNeeded(request.consistency, replicas.length),
      asked: 0,
      askedCount: 0,
      retryAt: 0,
      offered: undefined,
      phase: 'query',
      versions: new Set(),
      behind: false,
      entry: undefined,
      acked: new Set(),
      failures: new Map(),
      done: false,
      ids: [],
      value: null,
      size: 0,
      refused: undefined,
    };
    const invalid = this.checkKey(request.key) ?? (isPut ? this.checkValue(op, request.value) : undefined);
    if (invalid) return this.reject(op, invalid[0], invalid[1]);
    if (replicas.length === 0) return this.fail(op, 'no members on the ring');
    const id = this.register(op, request.timeoutMs);
    // ABD's first phase: learn the versions a quorum holds, so that the write goes out above every write that
    // finished before it began (one of them is in any quorum), whatever the clocks of their coordinators say.
    // Only the versions travel. A replica's own answer comes first; often it is all `one` needs.
    // The version offered is this replica's own: the others answer only with one above it.
    if (this.leaseCovers(replicas)) {
      // Under a lease this node's clock is above every write that has completed: no versions to learn.
      this.counters.leasedWrites++;
      return this.startWritePhase(op, id);
    }
    const self = replicas.indexOf(this.self);
    if (self >= 0) {
      op.offered = this.store.versionOf(request.key);
      this.countAsked(op, self);
      this.onVersion(id, this.self, this.ready, op.offered);
    }
    this.askFirst(op);
  }

  private onVersion(id: number, from: string, ready: boolean, version: Timestamp | undefined): void {
    if (version) this.hlc.observe(version);
    const op = this.ops.get(id);
    if (!op || op.kind !== 'write' || op.phase !== 'query' || op.done) return;
    if (!op.replicas.includes(from) || op.versions.has(from) || op.failures.has(from)) return;
    // A recovering replica may have lost versions: its answer does not count.
    if (!ready) {
      op.failures.set(from, 'recovering');
    } else {
      op.versions.add(from);
      if (version && version[0] > this.now) op.behind = true;
    }
    if (op.versions.size >= op.needed) return this.startWritePhase(op, id);
    if (op.replicas.length - op.failures.size < op.needed) return this.fail(op, this.shortfall(op));
    // A recovering replica cannot count: the others are asked now.
    if (!ready) this.widen(op);
  }

  /** ABD's second phase: a timestamp above every version learned (the clock has observed them), to every replica. */
  private startWritePhase(op: WriteOp, id: number): void {
    const { request } = op;
    const ts = this.hlc.now();
    if (op.behind) this.counters.clockCatchUps++;
    op.phase = 'write';
    op.failures.clear();
    const entry: Entry =
      request.type === 'cache/put'
        ? {
            ts,
            value: op.value,
            deleted: false,
            expiresAt: request.ttlMs > 0 ? ts[0] + request.ttlMs : 0,
            size: op.size,
          }
        : { ts, value: null, deleted: true, expiresAt: 0, size: 0 };
    op.entry = entry;
    for (const r of op.replicas) this.sendWrite(r, id, request.key, entry);
  }

  private sendWrite(to: string, id: number, key: string, entry: Entry): void {
    if (to === this.self) {
      // This replica may have granted a lease over the key too: the holder must store the write first.
      const holder = this.leasesMayRefuse(this.self, undefined)
        ? this.refusingHolder(this.self, key, entry.ts, undefined)
        : undefined;
      if (holder !== undefined) return this.onRefused(id, to, holder);
      this.applyWrite(key, entry);
      // Held: this write or a newer version, both applied here, so observed.
      this.onWriteReply(id, to, key, this.ready, this.store.versionOf(key) ?? null, true);
      return;
    }
    const box = this.outboxOf(to);
    pushWrite(box.writes, id, key, entry);
    this.charge(to, box, itemBytes(key, entry.size));
  }

  /** A replica's answer to a write: `held` is the version it holds for the key now (the write's, or newer). */
  private onWriteReply(
    id: number,
    from: string,
    key: string,
    ready: boolean,
    held: Timestamp | null,
    observed = false,
  ): void {
    if (held) {
      // What this node sent it has observed already (its own stamp, or an entry it received).
      if (!observed) this.hlc.observe(held);
      if (this.hints.size > 0) this.clearHint(from, key, held);
    }
    const op = this.ops.get(id);
    if (!op || !op.replicas.includes(from)) return;
    // A lease holder that refused replicas were waiting for has stored it (or newer): they take it now.
    if (op.refused !== undefined) this.confirmRefused(op, id, from);
    if (op.kind === 'read') {
      if (op.done) return;
      // A write-back: the replica holds the answer, or something newer (which a later read would see).
      if (!op.holders || !ready || !held) return;
      if (compareTimestamps(held, op.best!.ts) >= 0) op.holders.add(from);
      if (op.holders.size >= op.needed) this.answerRead(op);
      return;
    }
    if (op.phase !== 'write') return;
    if (op.done) {
      // Acknowledged already; a late replica's answer means it needs no hint (it stored the write even while
      // recovering).
      op.acked.add(from);
      if (op.acked.size + op.failures.size === op.replicas.length) this.forget(op);
      return;
    }
    // Whatever it held, a ready replica now holds this write or a newer one: an acknowledgement.
    if (!ready) op.failures.set(from, 'recovering');
    else op.acked.add(from);
    if (op.acked.size >= op.needed) {
      op.done = true;
      this.reply(op.request, { ok: true, found: false, value: null });
      // Replicas yet to answer get a hint only if they have not by the deadline: most answer a moment later.
      if (op.acked.size + op.failures.size === op.replicas.length) this.forget(op);
      return;
    }
    if (op.replicas.length - op.failures.size < op.needed) this.fail(op, this.shortfall(op));
  }

  // ---------------------------------------------------------------- write leases
  //
  // ABD's first phase exists because a coordinator's clock may be behind a write that completed elsewhere. A node
  // whose clock has observed every completed write of a key, and knows no other coordinator can complete one it
  // has not observed, may skip it. A lease gives it that, for the keys of one replica set (with N = 3 on three
  // nodes, every key), to one coordinator that is in the set:
  // - Each granter sends its clock with the grant; the holder's clock takes it in. A write completed before the
  //   grant is at a quorum, which meets every majority of the set (the holder counts itself while ready), so the
  //   holder's clock is above it.
  // - While the lease lasts, a granter refuses, for those keys, writes of anyone else stamped above its clock at
  //   the lease's start (its `ceiling`), unless the holder has stored them (`confirmedBy`): a write then completes
  //   only below the ceiling (so below the holder's clock) or with the holder's store in it (which its clock
  //   observes). Its own writes as a coordinator, read write-backs, repairs, hints and anti-entropy fall under the
  //   same rule.
  // - Time: the granter keeps a lease for `writeLeaseMs` from receiving the request, the holder uses it for 80 % of
  //   that from sending it, both on monotonic clocks, so the holder stops first whatever the wall clocks say.
  // - A granter that restarts forgets its grants: it answers nothing until every member has heard its sync
  //   request (and dropped its grants) or `writeLeaseMs` has passed. A grant is for one ring; a granter whose ring
  //   changed keeps refusing by the old one until those leases run out, and grants none meanwhile.
  //
  // Each replica grants a set to one coordinator at a time, itself included (a coordinator grants itself before it
  // asks): two coordinators never both count a majority, and a refused write has one holder to wait for.
  // The first coordinator to ask for a set gets it and keeps it while it writes (asking again every quarter of the
  // lease; nothing while idle, and the first write after a pause takes both phases). Another coordinator's writes
  // to the set still complete, a round trip later: refused, then confirmed once the holder has stored them.

  /** A replica set's name: the same for every key with these replicas, whatever their order. */
  private setName(replicas: readonly string[]): string {
    let name = this.setNames.get(replicas);
    if (name === undefined) {
      name = [...replicas].sort().join(' ');
      this.setNames.set(replicas, name);
    }
    return name;
  }

  /**
   * Whether this node may skip the first phase of a write to a key with these replicas; asks for a lease if due.
   * Worked out once per list and message: nothing it depends on changes within a message (the monotonic clock is
   * read once per message too), and a batch of many writes asks the same question of the same few lists.
   */
  private leaseCovers(replicas: readonly string[]): boolean {
    let covers = this.leaseMemo.get(replicas);
    if (covers === undefined) {
      covers = this.leaseCoversNow(replicas);
      if (this.inMessage) this.leaseMemo.set(replicas, covers);
    }
    return covers;
  }

  private leaseCoversNow(replicas: readonly string[]): boolean {
    const leaseMs = this.settings.writeLeaseMs;
    // Only a replica can hold a lease: others' writes wait for the holder to store them.
    if (leaseMs === 0 || !replicas.includes(this.self)) return false;
    const set = this.setName(replicas);
    const mono = this.mono;
    if (mono >= (this.leaseAskAt.get(set) ?? 0)) this.askLease(set, replicas, mono, leaseMs);
    const grants = this.leaseGrants.get(set);
    if (!grants) return false;
    const own = this.leasesGranted.get(set);
    let granted = 0;
    for (const r of replicas)
      if (
        r === this.self
          ? this.ready && own !== undefined && own.holder === this.self && own.expiresAt > mono
          : (grants.get(r) ?? 0) > mono
      )
        granted++;
    return granted >= replicasNeeded('quorum', replicas.length);
  }

  private askLease(set: string, replicas: readonly string[], mono: number, leaseMs: number): void {
    this.leaseAskAt.set(set, mono + leaseMs / 4);
    // This node grants itself first, as any replica of the set would: one holder per set at each replica, so two
    // coordinators never both count a majority, and a refused write always has one holder to wait for. Not while
    // it has granted the set to another.
    const own = this.leasesGranted.get(set);
    if (own && own.expiresAt > mono && own.holder !== this.self) return;
    if (own && own.holder === this.self) own.expiresAt = mono + leaseMs;
    else
      this.leasesGranted.set(set, {
        holder: this.self,
        set,
        ceiling: this.hlc.now(),
        expiresAt: mono + leaseMs,
        ring: this.ring,
      });
    const round = ++this.leaseRound;
    for (const [r, asked] of this.leaseRounds) {
      if (asked.sentAt + leaseMs > mono) break;
      this.leaseRounds.delete(r);
    }
    this.leaseRounds.set(round, { sentAt: mono, ring: this.ring, set });
    const request: LeaseRequest = {
      type: 'cache/lease-request',
      from: this.self,
      round,
      ring: this.ringKey,
      set,
      replyTo: this.selfRef,
    };
    for (const r of replicas) if (r !== this.self) this.refOf(r).tell(request);
  }

  private onLeaseRequest(msg: LeaseRequest): void {
    const leaseMs = this.settings.writeLeaseMs;
    const mono = this.mono;
    let granted = false;
    if (this.oldLeases.length > 0) this.oldLeases = this.oldLeases.filter((l) => l.expiresAt > mono);
    if (
      leaseMs > 0 &&
      this.ready &&
      msg.ring === this.ringKey &&
      msg.from !== this.self &&
      this.oldLeases.length === 0
    ) {
      const lease = this.leasesGranted.get(msg.set);
      if (!lease || lease.expiresAt <= mono) {
        this.leasesGranted.set(msg.set, {
          holder: msg.from,
          set: msg.set,
          ceiling: this.hlc.now(),
          expiresAt: mono + leaseMs,
          ring: this.ring,
        });
        granted = true;
      } else if (lease.holder === msg.from) {
        // A renewal keeps the ceiling: the holder's clock is above it, not necessarily above this node's clock now.
        lease.expiresAt = mono + leaseMs;
        granted = true;
      }
    }
    msg.replyTo.tell({
      type: 'cache/lease-grant',
      from: this.self,
      round: msg.round,
      granted,
      clock: this.hlc.now(),
    });
  }

  private onLeaseGrant(msg: LeaseGrant): void {
    // First, granted or not: the clock must be above everything the granter held before its grant counts.
    this.hlc.observe(msg.clock);
    const asked = this.leaseRounds.get(msg.round);
    if (!msg.granted || !asked || asked.ring !== this.ring) return;
    const dropped = this.leaseDropped.get(msg.from);
    if (dropped !== undefined && asked.sentAt <= dropped) return;
    const until = asked.sentAt + this.settings.writeLeaseMs * 0.8;
    let grants = this.leaseGrants.get(asked.set);
    if (!grants) this.leaseGrants.set(asked.set, (grants = new Map()));
    if (until > (grants.get(msg.from) ?? 0)) grants.set(msg.from, until);
  }

  /**
   * The holder of a lease this node granted that covers `key`, if a write of it stamped `ts` from `from` must be
   * refused (see above); undefined if it may be stored.
   */
  private refusingHolder(
    from: string,
    key: string,
    ts: Timestamp,
    confirmedBy: string | undefined,
  ): string | undefined {
    const mono = this.mono;
    const lease =
      this.leasesGranted.size > 0 ? this.leasesGranted.get(this.setName(this.replicasOf(key))) : undefined;
    if (lease && this.refuses(lease, from, ts, confirmedBy, mono)) return lease.holder;
    if (this.oldLeases.length === 0) return undefined;
    for (const old of this.oldLeases) {
      if (this.setName(old.ring.preferenceList(key, this.settings.replicationFactor)) !== old.set) continue;
      if (this.refuses(old, from, ts, confirmedBy, mono)) return old.holder;
    }
    return undefined;
  }

  /**
   * Whether any lease this node granted may refuse writes from `from`: one that has not run out, held by another
   * node than `from`, `confirmedBy` and this one (see `refuses`). Asked once per batch: the writes of a lease
   * holder, the common case under load, then go without a look-up per key.
   */
  private leasesMayRefuse(from: string, confirmedBy: string | undefined): boolean {
    if (this.leasesGranted.size === 0 && this.oldLeases.length === 0) return false;
    const mono = this.mono;
    for (const lease of this.leasesGranted.values())
      if (this.mayRefuse(lease, from, confirmedBy, mono)) return true;
    return this.oldLeases.some((lease) => this.mayRefuse(lease, from, confirmedBy, mono));
  }

  private refuses(
    lease: GrantedLease,
    from: string,
    ts: Timestamp,
    confirmedBy: string | undefined,
    mono: number,
  ): boolean {
    if (!this.mayRefuse(lease, from, confirmedBy, mono)) return false;
    if (compareTimestamps(ts, lease.ceiling) <= 0) return false;
    this.counters.leaseRefusals++;
    return true;
  }

  /** Whether `lease` may refuse a write from `from` at all, whatever its timestamp. */
  private mayRefuse(
    lease: GrantedLease,
    from: string,
    confirmedBy: string | undefined,
    mono: number,
  ): boolean {
    // The holder itself refuses nothing: it stores, so observes, what others write.
    return (
      lease.expiresAt > mono &&
      lease.holder !== from &&
      lease.holder !== confirmedBy &&
      lease.holder !== this.self
    );
  }

  /**
   * Whether a restarted node may answer as far as leases go: every member has heard its sync request, so none uses
   * a grant it gave before it restarted, or a lease's time has passed since it started.
   */
  private leaseQuiet(): boolean {
    const leaseMs = this.settings.writeLeaseMs;
    if (leaseMs === 0 || this.mono >= this.startedAt + leaseMs) return true;
    for (const m of this.ring.members) if (m !== this.self && !this.heard.has(m)) return false;
    return true;
  }

  /** A replica refused an operation's write under `holder`'s lease: sent again once the holder has stored it. */
  private onRefused(id: number, from: string, holder: string): void {
    const op = this.ops.get(id);
    if (!op || !op.replicas.includes(from)) return;
    if (this.holds(op, holder)) return this.sendConfirmed(op, id, from, holder);
    (op.refused ??= new Map()).set(from, holder);
  }

  /** `from` has answered a write of `op`: replicas that refused it under `from`'s lease get it again. */
  private confirmRefused(op: Op, id: number, from: string): void {
    const refused = op.refused!;
    for (const [replica, holder] of refused) {
      if (holder !== from) continue;
      refused.delete(replica);
      this.sendConfirmed(op, id, replica, holder);
    }
  }

  /** Whether `replica` has answered the write of `op` (so stored it, or newer): its clock has observed it. */
  private holds(op: Op, replica: string): boolean {
    if (op.kind === 'read') return op.holders !== undefined && op.holders.has(replica);
    return op.phase === 'write' && (op.acked.has(replica) || op.failures.get(replica) === 'recovering');
  }

  private sendConfirmed(op: Op, id: number, to: string, holder: string): void {
    const entry = op.kind === 'write' ? op.entry : op.best;
    if (!entry) return;
    const writes: unknown[] = [];
    pushWrite(writes, id, op.request.key, entry);
    this.refOf(to).tell({
      type: 'cache/batch',
      from: this.self,
      reads: [],
      versions: [],
      writes,
      confirmedBy: holder,
      replyTo: this.selfRef,
    });
  }

  // ---------------------------------------------------------------- coordinator: which replicas to ask

  /** Whether an operation still waits for the answers of its first phase (which go to some replicas only). */
  private isQuerying(op: Op): boolean {
    return !op.done && (op.kind === 'write' ? op.phase === 'query' : op.best === undefined);
  }

  private countAsked(op: Op, i: number): void {
    if (i < TARGETED_MAX) op.asked |= 1 << i;
    op.askedCount++;
  }

  /**
   * Asks as many replicas as the consistency still needs after this node's own answer: reachable and ready ones
   * first, starting from a different one each time. Which ones does not matter for safety (any two quorums
   * meet); when their answers do not come, the others are asked after `speculativeRetryMs` (or at once, see
   * `widen`).
   */
  private askFirst(op: Op): void {
    if (!this.isQuerying(op)) return;
    const n = op.replicas.length;
    const left = n - op.askedCount;
    const want = op.needed - (op.kind === 'write' ? op.versions.size : op.responses.size);
    const delay = Math.min(this.settings.speculativeRetryMs, Math.floor(op.request.timeoutMs / 2));
    if (want >= left || n > TARGETED_MAX || delay < 1) return this.askRest(op);
    // In turn over the other members (not over a key's replicas, whose order differs per key): the first unasked
    // replica at or after the member whose turn it is, one that is not to be avoided if there is one. The turn
    // passes at each flush, not at each request: the requests of one turn then ask the same replica, whose one
    // answer completes their first phase together, and their writes go out together, in one message per peer,
    // rather than in one per replica that answered.
    const m = this.others;
    const turn = this.rotation % m;
    this.chose = true;
    for (let picked = 0; picked < want; picked++) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < n; i++) {
        if (op.asked & (1 << i)) continue;
        const r = op.replicas[i];
        const rank = (((this.memberIndex.get(r) ?? 0) - turn + m) % m) + (this.avoid.has(r) ? m : 0);
        if (rank < bestRank) {
          best = i;
          bestRank = rank;
        }
      }
      this.ask(op, best);
    }
    op.retryAt = this.now + delay;
    let queue = this.retries.get(delay);
    if (!queue) this.retries.set(delay, (queue = { ops: [], head: 0 }));
    queue.ops.push(op);
    if (op.retryAt < this.retryTimerAt) this.armRetry(op.retryAt);
  }

  /** Asks every replica not asked yet: an answer is late, or one of those asked cannot give it. */
  private widen(op: Op): void {
    if (!this.isQuerying(op) || op.askedCount >= op.replicas.length) return;
    this.counters.speculativeRetries++;
    this.askRest(op);
  }

  /** Asks every replica not asked yet (all beyond `TARGETED_MAX`, whose asking is not tracked). */
  private askRest(op: Op): void {
    for (let i = 0; i < op.replicas.length; i++)
      if (i >= TARGETED_MAX || !(op.asked & (1 << i))) this.ask(op, i);
  }

  private ask(op: Op, i: number): void {
    const to = op.replicas[i];
    if (to === this.self) return;
    this.countAsked(op, i);
    const id = op.ids[0];
    const { key } = op.request;
    const box = this.outboxOf(to);
    const v = op.kind === 'write' ? op.offered : op.digest?.ts;
    const items = op.kind === 'write' ? box.versions : box.reads;
    if (v) items.push(id, key, v[0], v[1], v[2]);
    else items.push(id, key, 0, 0, '');
    this.charge(to, box, itemBytes(key));
  }

  private armRetry(at: number): void {
    this.retryTimerAt = at;
    this.armTimer('retry', { type: 'cache/retry' }, at);
  }

  private onRetries(): void {
    const now = this.now;
    let next = Infinity;
    let marked = false;
    for (const [delay, queue] of this.retries) {
      const { ops } = queue;
      while (queue.head < ops.length) {
        const op = ops[queue.head];
        if (op.retryAt > now) {
          next = Math.min(next, op.retryAt);
          break;
        }
        queue.head++;
        if (!this.isQuerying(op)) continue;
        // Until they answer something, the replicas that kept this one waiting are not asked first: with one
        // gone silent (before a failure detector says so), only the first requests to it wait.
        for (let i = 0; i < op.replicas.length; i++) {
          const r = op.replicas[i];
          if (op.asked & (1 << i) && !this.hasAnswered(op, r) && !this.late.has(r)) {
            this.late.add(r);
            marked = true;
          }
        }
        this.widen(op);
      }
      if (queue.head === ops.length) this.retries.delete(delay);
      else if (queue.head >= 1024) {
        ops.splice(0, queue.head);
        queue.head = 0;
      }
    }
    if (marked) this.updateAvoid();
    this.retryTimerAt = Infinity;
    // Operations that completed stay queued until their time (dropping each would cost every request): under
    // load the head is always a moment away. Firing at most every tenth of the delay keeps that to a few timers
    // per delay, at the price of asking the others up to a tenth of the delay late.
    const granularity = Math.ceil(this.settings.speculativeRetryMs / 10);
    if (next < Infinity) this.armRetry(Math.max(next, now + granularity));
  }

  // ---------------------------------------------------------------- coordinator: bookkeeping

  private register(op: Op, timeoutMs: number): number {
    const id = this.nextId++;
    op.ids.push(id);
    this.ops.set(id, op);
    op.deadline = this.now + timeoutMs;
    let queue = this.deadlines.get(timeoutMs);
    if (!queue) this.deadlines.set(timeoutMs, (queue = new Set()));
    queue.add(op);
    if (op.deadline < this.deadlineAt) this.armDeadline(op.deadline);
    return id;
  }

  /** Done with an operation: late replies to it are ignored from now on. */
  private forget(op: Op): void {
    for (const id of op.ids) this.ops.delete(id);
    this.deadlines.get(op.request.timeoutMs)?.delete(op);
  }

  /**
   * One timer for all operations, at the earliest deadline, rather than one per operation: operations of one
   * timeout are queued in the order they began, so their deadlines come in that order too.
   */
  private armDeadline(at: number): void {
    this.deadlineAt = at;
    this.armTimer('deadline', { type: 'cache/deadline' }, at);
  }

  /**
   * Arms the single timer `name` for `at`, at least a millisecond ahead: a timer due within a rounding error of
   * now would find nothing quite due, and re-arming for the difference can leave a (virtual) clock standing still.
   */
  private armTimer(name: string, msg: LocalMessage, at: number): void {
    this.ctx.timers.startSingleTimer(name, msg, Math.max(1, at - this.now));
  }

  private onDeadlines(): void {
    const now = this.now;
    let next = Infinity;
    for (const [timeoutMs, queue] of this.deadlines) {
      for (const op of queue) {
        if (op.deadline > now) {
          next = Math.min(next, op.deadline);
          break;
        }
        queue.delete(op);
        this.onDeadline(op);
      }
      if (queue.size === 0) this.deadlines.delete(timeoutMs);
    }
    this.deadlineAt = Infinity;
    if (next < Infinity) this.armDeadline(next);
  }

  private onDeadline(op: Op): void {
    for (const id of op.ids) this.ops.delete(id);
    if (op.kind === 'write' && op.entry) {
      // Acknowledged or not (then its outcome is unknown: it may have reached some replicas), the write goes to
      // the replicas that have not acknowledged it through hints.
      for (const r of op.replicas)
        if (!op.acked.has(r) && !op.failures.has(r)) this.addHint(r, op.request.key, op.entry);
    }
    if (op.done) return;
    this.fail(op, `timed out after ${op.request.timeoutMs} ms: ${this.shortfall(op)}`);
  }

  private shortfall(op: Op): string {
    const ok =
      op.kind === 'read'
        ? (op.holders ?? new Set(op.responses.keys()))
        : op.phase === 'query'
          ? op.versions
          : op.acked;
    const parts = op.replicas
      .filter((r) => !ok.has(r))
      .map((r) => `${r} ${op.failures.get(r) ?? 'no answer'}`);
    return `${op.needed} of ${op.replicas.length} replicas needed, ${ok.size} answered (${parts.join(', ')})`;
  }

  private fail(op: Op, reason: string): void {
    this.reject(op, 'CACHE_ERR_CONSISTENCY_UNAVAILABLE', reason);
  }

  private reject(op: Op, code: string, reason: string): void {
    if (op.done) return;
    op.done = true;
    this.counters.failures++;
    this.reply(op.request, { ok: false, found: false, value: null, code, reason });
    this.forget(op);
  }

  /** Requests from other processes are checked again here: a remote client's checks cannot be trusted. */
  private checkKey(key: string): [string, string] | undefined {
    if (key.length === 0) return ['CACHE_ERR_INVALID_KEY', 'empty key'];
    if (key.length > this.settings.maxKeyLength)
      return ['CACHE_ERR_KEY_TOO_LONG', `${key.length}/${this.settings.maxKeyLength}`];
    return undefined;
  }

  /** Checks that the value has a JSON form within the size limit, and measures it. */
  private checkValue(op: WriteOp, value: unknown): [string, string] | undefined {
    let bytes = plainStringJsonBytes(value);
    if (bytes === undefined) {
      let json: string | undefined;
      try {
        json = JSON.stringify(value);
      } catch (e) {
        return ['CACHE_ERR_INVALID_VALUE', String(e)];
      }
      if (json === undefined) return ['CACHE_ERR_INVALID_VALUE', `${typeof value} has no JSON form`];
      bytes = Buffer.byteLength(json);
    }
    if (bytes > this.settings.maxValueBytes)
      return ['CACHE_ERR_VALUE_TOO_LARGE', `${bytes}/${this.settings.maxValueBytes}`];
    // Kept as given: the client sends its JSON form (see ActorCacheClient.put), and what crossed the wire is this
    // node's own copy anyway.
    op.value = value;
    op.size = bytes;
    return undefined;
  }

  /** `valueBytes`: the size of a value found. */
  private reply(
    request: ClientRequest,
    r: { ok: boolean; found: boolean; value: unknown; code?: string; reason?: string },
    valueBytes = 0,
  ): void {
    if ((request as { batched?: boolean }).batched) {
      const { replyTo } = request;
      let box = this.replyBoxes.get(replyTo);
      const bytes = itemBytes(request.key, valueBytes);
      // A message over the transport's largest would be refused whole, and every answer in it lost.
      if (box && box.bytes + bytes > this.settings.maxMessageBytes) {
        this.sendReplies(replyTo, box);
        box = undefined;
      }
      if (!box) this.replyBoxes.set(replyTo, (box = { done: [], found: [], failed: [], bytes: 0 }));
      box.bytes += bytes;
      if (!r.ok) box.failed.push(request.id, r.code ?? 'CACHE_ERR_UNKNOWN', r.reason ?? '');
      else if (r.found) box.found.push(request.id, r.value);
      else box.done.push(request.id);
      this.flushSoon();
      return;
    }
    request.replyTo.tell({
      type: 'cache/reply',
      id: request.id,
      ok: r.ok,
      found: r.found,
      value: r.value,
      code: r.code ?? null,
      reason: r.reason ?? null,
    });
  }

  private sendReplies(replyTo: ActorRef<CacheReply>, box: ReplyBox): void {
    this.replyBoxes.delete(replyTo);
    (replyTo as unknown as ActorRef<CacheReplyBatch>).tell({
      type: 'cache/reply-batch',
      done: box.done,
      found: box.found,
      failed: box.failed,
    });
  }

  // ---------------------------------------------------------------- hinted handoff

  private addHint(peer: string, key: string, entry: Entry): void {
    let forPeer = this.hints.get(peer);
    if (!forPeer) this.hints.set(peer, (forPeer = new Map()));
    const old = forPeer.get(key);
    if (old && compareTimestamps(old.ts, entry.ts) >= 0) return;
    if (!old) this.hintCount++;
    forPeer.set(key, entry);
    if (this.hintCount > this.settings.maxHints) this.dropOldestHint();
    this.shared.hints = this.hintCount;
  }

  private clearHint(peer: string, key: string, held: Timestamp): void {
    const forPeer = this.hints.get(peer);
    const hint = forPeer?.get(key);
    if (!hint || compareTimestamps(held, hint.ts) < 0) return;
    forPeer!.delete(key);
    this.hintCount--;
    this.shared.hints = this.hintCount;
    this.counters.hintsDelivered++;
  }

  private dropOldestHint(): void {
    for (const forPeer of this.hints.values()) {
      const first = forPeer.keys().next();
      if (first.done) continue;
      forPeer.delete(first.value);
      this.hintCount--;
      return;
    }
  }

  private deliverHints(): void {
    for (const [peer, forPeer] of this.hints) {
      if (forPeer.size === 0) {
        this.hints.delete(peer);
        continue;
      }
      if (!this.ring.members.includes(peer)) {
        // Gone from the ring: its keys were handed to the new owners.
        this.hintCount -= forPeer.size;
        this.hints.delete(peer);
        continue;
      }
      let sent = 0;
      for (const [key, entry] of forPeer) {
        if (sent++ >= HINTS_PER_TICK) break;
        this.sendWrite(peer, 0, key, entry);
      }
    }
    this.shared.hints = this.hintCount;
  }

  // ---------------------------------------------------------------- anti-entropy

  /**
   * Entries this node holds that `peer` replicates too (by this node's ring), but for those stored within the
   * last `requestTimeoutMs`: their writes are still under way (the second phase to every replica, hints for the
   * ones that do not answer by the deadline), and comparing them would only ship hot keys back and forth while
   * they are in flight. They are compared once they have settled.
   */
  private *sharedWith(peer: string): IterableIterator<[string, Entry]> {
    for (const [key, entry] of this.store.entries(this.now - this.settings.requestTimeoutMs)) {
      const list = this.replicasOf(key);
      if (list.includes(peer) && list.includes(this.self)) yield [key, entry];
    }
  }

  private treeWith(peer: string): MerkleTree {
    const pairs: [string, string][] = [];
    for (const [key, entry] of this.sharedWith(peer)) pairs.push([key, entry.ts.join('.')]);
    return MerkleTree.build(pairs, this.settings.merkleDepth);
  }

  private startAntiEntropy(): void {
    if (!this.ready) return;
    const peers = this.ring.members.filter((m) => m !== this.self);
    if (peers.length === 0) return;
    const peer = peers[Math.floor(this.ctx.system.random.next() * peers.length)];
    const tree = this.treeWith(peer);
    this.refOf(peer).tell({
      type: 'cache/ae-tree',
      from: this.self,
      depth: tree.depth,
      nodes: Array.from(tree.nodes),
      replyTo: this.selfRef,
    });
  }

  private onTree(msg: AntiEntropyTree): void {
    const theirs = MerkleTree.fromNodes(msg.nodes, msg.depth);
    if (!theirs || msg.depth !== this.settings.merkleDepth) return;
    const mine = this.treeWith(msg.from);
    const buckets = mine.diff(theirs);
    if (buckets.length === 0) return;
    this.sendEntries(msg.replyTo, this.entriesIn(msg.from, buckets), buckets);
  }

  private onEntries(msg: AntiEntropyEntries): void {
    const now = this.now;
    const mayRefuse = this.leasesMayRefuse(msg.from, undefined);
    for (const [key, entry] of msg.entries) {
      // Under another node's lease, what it has not stored waits: the holder's own rounds bring it, or a later one.
      if (mayRefuse && this.refusingHolder(msg.from, key, entry.ts, undefined) !== undefined) continue;
      this.hlc.observe(entry.ts);
      if (this.store.apply(key, entry, now) === 'applied') this.counters.antiEntropyRepairs++;
    }
    if (msg.want.length === 0) return;
    this.sendEntries(msg.replyTo, this.entriesIn(msg.from, msg.want), []);
  }

  /** Entries for anti-entropy, in chunks under `maxMessageBytes`; the first says which buckets we want back. */
  private sendEntries(to: ActorRef<PeerMessage>, entries: [string, Entry][], want: readonly number[]): void {
    const chunks = chunksOf(entries, this.settings.maxMessageBytes);
    chunks.forEach((chunk, i) =>
      to.tell({
        type: 'cache/ae-entries',
        from: this.self,
        entries: chunk,
        want: i === 0 ? [...want] : [],
        replyTo: this.selfRef,
      }),
    );
  }

  private entriesIn(peer: string, buckets: readonly number[]): [string, Entry][] {
    const wanted = new Set(buckets);
    const depth = this.settings.merkleDepth;
    const out: [string, Entry][] = [];
    for (const [key, entry] of this.sharedWith(peer))
      if (wanted.has(MerkleTree.bucketOf(key, depth))) out.push([key, entry]);
    return out;
  }
}
