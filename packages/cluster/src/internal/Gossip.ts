import { compareMembers, keyOf, type Member, STATUS_PRECEDENCE } from '../Member';

/**
 * One observer's row of the reachability table: whom it currently finds unreachable. Only the observer writes
 * its row and bumps `version` at each change, so concurrent views merge by keeping the higher version.
 */
export interface ReachabilityRow {
  readonly version: number;
  readonly unreachable: ReadonlySet<string>;
}

/** The order of two vector clocks: `before` means the first is older than the second. */
export type Ordering = 'same' | 'before' | 'after' | 'concurrent';

/**
 * @internal The cluster state every node gossips: members (by unique key, `address incarnation`), the
 * reachability table, the vector clock of this state, who has seen this very version, and tombstones of removed
 * members (local time learned), so that stale gossip cannot resurrect them.
 *
 * Treated as immutable: every change makes a new one.
 */
export interface Gossip {
  readonly members: ReadonlyMap<string, Member>;
  readonly reachability: ReadonlyMap<string, ReachabilityRow>;
  readonly version: ReadonlyMap<string, number>;
  readonly seen: ReadonlySet<string>;
  readonly tombstones: ReadonlyMap<string, number>;
}

export const EMPTY_GOSSIP: Gossip = {
  members: new Map(),
  reachability: new Map(),
  version: new Map(),
  seen: new Set(),
  tombstones: new Map(),
};

export function compareVersions(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): Ordering {
  let aAhead = false;
  let bAhead = false;
  for (const [node, n] of a) {
    const m = b.get(node) ?? 0;
    if (n > m) aAhead = true;
    else if (n < m) bAhead = true;
  }
  for (const [node, m] of b) if (!a.has(node) && m > 0) bAhead = true;
  if (aAhead && bAhead) return 'concurrent';
  if (aAhead) return 'after';
  if (bAhead) return 'before';
  return 'same';
}

/** A new version by `self`: its clock ticks and only it has seen the result. */
export function bump(
  g: Gossip,
  self: string,
  change: Partial<Pick<Gossip, 'members' | 'reachability' | 'tombstones'>>,
): Gossip {
  const version = new Map(g.version);
  version.set(self, (version.get(self) ?? 0) + 1);
  return prune({ ...g, ...change, version, seen: new Set([self]) });
}

export function withSeen(g: Gossip, key: string): Gossip {
  if (g.seen.has(key)) return g;
  return { ...g, seen: new Set([...g.seen, key]) };
}

export function withMembers(g: Gossip, self: string, changed: readonly Member[]): Gossip {
  const members = new Map(g.members);
  for (const m of changed) members.set(keyOf(m), m);
  return bump(g, self, { members });
}

/** Removes members for good: tombstoned, and gone from the clock, the reachability table and the seen set. */
export function removeMembers(g: Gossip, self: string, keys: readonly string[], now: number): Gossip {
  const tombstones = new Map(g.tombstones);
  for (const k of keys) if (!tombstones.has(k)) tombstones.set(k, now);
  return bump(g, self, { tombstones });
}

/** Records `self`'s observation of `subject` in its own reachability row. */
export function withObservation(g: Gossip, self: string, subject: string, reachable: boolean): Gossip {
  const row = g.reachability.get(self);
  const current = row?.unreachable.has(subject) ?? false;
  if (current === !reachable) return g;
  const unreachable = new Set(row?.unreachable ?? []);
  if (reachable) unreachable.delete(subject);
  else unreachable.add(subject);
  const reachability = new Map(g.reachability);
  reachability.set(self, { version: (row?.version ?? 0) + 1, unreachable });
  return bump(g, self, { reachability });
}

/**
 * Merges two concurrent views: members by status precedence (removed > down > exiting > leaving > up >
 * joining, so nothing goes back), reachability rows by their observer's version, clocks by the maximum, and
 * tombstones by union. Nobody has seen the result yet.
 */
export function merge(a: Gossip, b: Gossip): Gossip {
  const tombstones = new Map(a.tombstones);
  for (const [k, t] of b.tombstones) if (!tombstones.has(k)) tombstones.set(k, t);
  const members = new Map<string, Member>();
  for (const [k, m] of a.members) {
    const o = b.members.get(k);
    members.set(k, o ? mergeMember(m, o) : m);
  }
  for (const [k, m] of b.members) if (!members.has(k)) members.set(k, m);
  const reachability = new Map(a.reachability);
  for (const [observer, row] of b.reachability) {
    const mine = reachability.get(observer);
    if (!mine || row.version > mine.version) reachability.set(observer, row);
  }
  const version = new Map(a.version);
  for (const [node, n] of b.version) if (n > (version.get(node) ?? 0)) version.set(node, n);
  return prune({ members, reachability, version, seen: new Set(), tombstones });
}

/**
 * Adopts a newer remote view, keeping our tombstones too (a newer view normally has them already) and our
 * first-learned times, so that pruning is not postponed by every gossip that carries a tombstone.
 */
export function adopt(local: Gossip, remote: Gossip): Gossip {
  return prune({ ...remote, tombstones: new Map([...remote.tombstones, ...local.tombstones]) });
}

function mergeMember(a: Member, b: Member): Member {
  const winner = STATUS_PRECEDENCE[a.status] >= STATUS_PRECEDENCE[b.status] ? a : b;
  const ups = [a.upNumber, b.upNumber].filter((n) => n > 0);
  const upNumber = ups.length > 0 ? Math.min(...ups) : 0;
  return upNumber === winner.upNumber ? winner : { ...winner, upNumber };
}

/** Drops everything about tombstoned members, and reachability entries about non-members. */
function prune(g: Gossip): Gossip {
  const t = g.tombstones;
  if (
    t.size === 0 &&
    [...g.reachability.values()].every((r) => [...r.unreachable].every((s) => g.members.has(s)))
  )
    return g;
  const members = new Map([...g.members].filter(([k]) => !t.has(k)));
  const reachability = new Map<string, ReachabilityRow>();
  for (const [observer, row] of g.reachability) {
    if (!members.has(observer)) continue;
    const unreachable = new Set([...row.unreachable].filter((s) => members.has(s)));
    reachability.set(
      observer,
      unreachable.size === row.unreachable.size ? row : { version: row.version, unreachable },
    );
  }
  const version = new Map([...g.version].filter(([k]) => !t.has(k)));
  const seen = new Set([...g.seen].filter((k) => members.has(k)));
  return { members, reachability, version, seen, tombstones: t };
}

/** Forgets tombstones older than `ttlMs`. */
export function pruneTombstones(g: Gossip, now: number, ttlMs: number): Gossip {
  let changed = false;
  const tombstones = new Map<string, number>();
  for (const [k, t] of g.tombstones) {
    if (now - t > ttlMs) changed = true;
    else tombstones.set(k, t);
  }
  return changed ? { ...g, tombstones } : g;
}

/**
 * Members some observer finds unreachable. Observers that are down do not count (as Akka's view "excluding
 * downed observers"): once a partitioned side is downed, its opinion of the survivors must not block them.
 */
export function unreachableMembers(g: Gossip): Set<string> {
  const out = new Set<string>();
  for (const [observer, row] of g.reachability) {
    const o = g.members.get(observer);
    if (!o || o.status === 'down') continue;
    for (const s of row.unreachable) if (g.members.has(s)) out.add(s);
  }
  return out;
}

/**
 * Convergence, as Akka's: no member other than `self` is unreachable unless it is down or exiting, and every
 * reachable up or leaving member has seen this version. Down members have no vote, so a downed node never
 * blocks its own removal.
 */
export function isConverged(
  g: Gossip,
  self: string,
  unreachable: ReadonlySet<string> = unreachableMembers(g),
): boolean {
  for (const [k, m] of g.members) {
    if (k !== self && unreachable.has(k) && m.status !== 'down' && m.status !== 'exiting') return false;
  }
  for (const [k, m] of g.members) {
    if ((m.status === 'up' || m.status === 'leaving') && !unreachable.has(k) && !g.seen.has(k)) return false;
  }
  return true;
}

/**
 * The leader: the lowest address among reachable up or leaving members; while nobody is up yet (a cluster being
 * formed), the lowest reachable member that is not down or exiting. Every node computes it from its own view,
 * so the nodes agree once their views have converged.
 */
export function leaderOf(
  g: Gossip,
  unreachable: ReadonlySet<string> = unreachableMembers(g),
): Member | undefined {
  const candidates = [...g.members.entries()]
    .filter(([k, m]) => !unreachable.has(k) && m.status !== 'down' && m.status !== 'exiting')
    .map(([, m]) => m)
    .sort(compareMembers);
  return candidates.find((m) => m.status === 'up' || m.status === 'leaving') ?? candidates[0];
}

export function sortedMembers(g: Gossip): Member[] {
  return [...g.members.values()].sort(compareMembers);
}
