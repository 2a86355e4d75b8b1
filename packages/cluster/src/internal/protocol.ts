import type { ActorRef } from '@troupe/core';
import {
  DuplicateManifestError,
  isActorRef,
  isPlainObject,
  type MessageCodec,
  messageType,
  parseAddress,
  type Serialization,
} from '@troupe/remote';
import { MEMBER_STATUSES, type Member, type MemberStatus, uniqueKey } from '../Member';
import type { Gossip, ReachabilityRow } from './Gossip';

/**
 * The cluster's wire protocol. Every message names its sender by node address and incarnation (rather than by
 * a ref), so that it can be answered at the well-known paths below and an answer meant for an earlier
 * incarnation of a node is recognised and ignored.
 */
export const CLUSTER_PATH = '/system/cluster';
export const CORE_PATH = `${CLUSTER_PATH}/core`;
export const HEARTBEAT_PATH = `${CLUSTER_PATH}/heartbeat`;
export const RECEPTIONIST_PATH = `${CLUSTER_PATH}/receptionist`;

/** Asks a seed whether it is a member that can take a join. */
export interface InitJoin {
  readonly type: 'troupe/cluster.init-join';
  readonly from: string;
  readonly incarnation: string;
}
/** The seed is a member: send it a `Join`. */
export interface InitJoinAck {
  readonly type: 'troupe/cluster.init-join-ack';
  readonly from: string;
  readonly incarnation: string;
}
/** The seed is not (yet) a member. */
export interface InitJoinNack {
  readonly type: 'troupe/cluster.init-join-nack';
  readonly from: string;
  readonly incarnation: string;
}
export interface Join {
  readonly type: 'troupe/cluster.join';
  readonly from: string;
  readonly incarnation: string;
}
/** The answer to a `Join`: the gossip in which the joiner is a member. */
export interface Welcome {
  readonly type: 'troupe/cluster.welcome';
  readonly from: string;
  readonly incarnation: string;
  /** The incarnation the welcome is for. */
  readonly to: string;
  readonly gossip: GossipWire;
}
export interface GossipEnvelope {
  readonly type: 'troupe/cluster.gossip';
  readonly from: string;
  readonly incarnation: string;
  readonly to: string;
  readonly gossip: GossipWire;
}
export interface Heartbeat {
  readonly type: 'troupe/cluster.heartbeat';
  readonly from: string;
  readonly incarnation: string;
  readonly to: string;
  /** Numbers the sender's heartbeats, so that it can tell which one an answer is for. */
  readonly seq: number;
}
export interface HeartbeatRsp {
  readonly type: 'troupe/cluster.heartbeat-rsp';
  readonly from: string;
  readonly incarnation: string;
  /** The `seq` of the heartbeat answered. */
  readonly seq: number;
}
/** A node's whole receptionist registry: its local services by key id. */
export interface Registry {
  readonly type: 'troupe/cluster.registry';
  readonly from: string;
  readonly incarnation: string;
  /** Bumped at every change of the sender's registry, so a late copy never replaces a newer one. */
  readonly version: number;
  readonly entries: ReadonlyArray<{ readonly key: string; readonly refs: ReadonlyArray<ActorRef<any>> }>;
}

export type CoreProtocol = InitJoin | InitJoinAck | InitJoinNack | Join | Welcome | GossipEnvelope;
export type HeartbeatProtocol = Heartbeat | HeartbeatRsp;

/** Gossip as plain data. Members and keys (`address incarnation`) are validated on the way in. */
export interface GossipWire {
  readonly members: ReadonlyArray<{
    readonly address: string;
    readonly incarnation: string;
    readonly status: MemberStatus;
    readonly upNumber: number;
  }>;
  readonly reachability: ReadonlyArray<{
    readonly observer: string;
    readonly version: number;
    readonly unreachable: readonly string[];
  }>;
  readonly version: ReadonlyArray<readonly [string, number]>;
  readonly seen: readonly string[];
  readonly tombstones: readonly string[];
}

export function gossipToWire(g: Gossip): GossipWire {
  return {
    members: [...g.members.values()].map((m) => ({
      address: m.address,
      incarnation: m.incarnation,
      status: m.status,
      upNumber: m.upNumber,
    })),
    reachability: [...g.reachability].map(([observer, row]) => ({
      observer,
      version: row.version,
      unreachable: [...row.unreachable],
    })),
    version: [...g.version],
    seen: [...g.seen],
    tombstones: [...g.tombstones.keys()],
  };
}

/** Tombstones get `now` as their learned time: each node prunes them on its own clock. */
export function gossipFromWire(w: GossipWire, now: number): Gossip {
  const members = new Map<string, Member>();
  for (const m of w.members) {
    const member: Member = Object.freeze({
      address: m.address,
      incarnation: m.incarnation,
      status: m.status,
      upNumber: m.upNumber,
    });
    members.set(uniqueKey(m.address, m.incarnation), member);
  }
  const reachability = new Map<string, ReachabilityRow>();
  for (const r of w.reachability)
    reachability.set(r.observer, { version: r.version, unreachable: new Set(r.unreachable) });
  return {
    members,
    reachability,
    version: new Map(w.version.map(([k, n]) => [k, n] as [string, number])),
    seen: new Set(w.seen),
    tombstones: new Map(w.tombstones.map((k) => [k, now] as [string, number])),
  };
}

// ---------------------------------------------------------------- validation of untrusted data

/** More members than any cluster this protocol is meant for: a bound on the work a hostile message can cause. */
const MAX_ITEMS = 10_000;
const MAX_STRING = 512;

export function isNodeAddress(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > MAX_STRING) return false;
  try {
    return parseAddress(v).path === undefined;
  } catch {
    return false;
  }
}

const isIncarnation = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_STRING && !/\s/.test(v);

function isKey(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const i = v.indexOf(' ');
  return i > 0 && isNodeAddress(v.slice(0, i)) && isIncarnation(v.slice(i + 1));
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function isArrayOf<T>(v: unknown, item: (x: unknown) => x is T): v is T[] {
  return Array.isArray(v) && v.length <= MAX_ITEMS && v.every((x) => item(x));
}

function isMemberWire(v: unknown): v is GossipWire['members'][number] {
  return (
    isPlainObject(v) &&
    isNodeAddress(v.address) &&
    isIncarnation(v.incarnation) &&
    typeof v.status === 'string' &&
    (MEMBER_STATUSES as readonly string[]).includes(v.status) &&
    v.status !== 'removed' &&
    isCount(v.upNumber)
  );
}

function isRowWire(v: unknown): v is GossipWire['reachability'][number] {
  return isPlainObject(v) && isKey(v.observer) && isCount(v.version) && isArrayOf(v.unreachable, isKey);
}

function isVersionEntry(v: unknown): v is readonly [string, number] {
  return Array.isArray(v) && v.length === 2 && isKey(v[0]) && isCount(v[1]);
}

export function isGossipWire(v: unknown): v is GossipWire {
  return (
    isPlainObject(v) &&
    isArrayOf(v.members, isMemberWire) &&
    isArrayOf(v.reachability, isRowWire) &&
    isArrayOf(v.version, isVersionEntry) &&
    isArrayOf(v.seen, isKey) &&
    isArrayOf(v.tombstones, isKey)
  );
}

const sender = (m: Record<string, unknown>): boolean => isNodeAddress(m.from) && isIncarnation(m.incarnation);

function isRegistryEntry(v: unknown): v is Registry['entries'][number] {
  return (
    isPlainObject(v) &&
    typeof v.key === 'string' &&
    v.key.length <= MAX_STRING &&
    isArrayOf(v.refs, (r): r is ActorRef<any> => isActorRef(r))
  );
}

const codecs: MessageCodec<any>[] = [
  messageType<InitJoin>('troupe/cluster.init-join', sender),
  messageType<InitJoinAck>('troupe/cluster.init-join-ack', sender),
  messageType<InitJoinNack>('troupe/cluster.init-join-nack', sender),
  messageType<Join>('troupe/cluster.join', sender),
  messageType<Welcome>(
    'troupe/cluster.welcome',
    (m) => sender(m) && isIncarnation(m.to) && isGossipWire(m.gossip),
  ),
  messageType<GossipEnvelope>(
    'troupe/cluster.gossip',
    (m) => sender(m) && isIncarnation(m.to) && isGossipWire(m.gossip),
  ),
  messageType<Heartbeat>(
    'troupe/cluster.heartbeat',
    (m) => sender(m) && isIncarnation(m.to) && isCount(m.seq),
  ),
  messageType<HeartbeatRsp>('troupe/cluster.heartbeat-rsp', (m) => sender(m) && isCount(m.seq)),
  messageType<Registry>(
    'troupe/cluster.registry',
    (m) => sender(m) && isCount(m.version) && isArrayOf(m.entries, isRegistryEntry),
  ),
];

/**
 * Registers the cluster's codecs. A codec already there (the same `Serialization` handed to a restarted node)
 * is kept: manifests are the cluster's own, so it can only be ours.
 */
export function registerClusterProtocol(serialization: Serialization): void {
  for (const codec of codecs) {
    try {
      serialization.register(codec);
    } catch (e) {
      if (!(e instanceof DuplicateManifestError)) throw e;
    }
  }
}
