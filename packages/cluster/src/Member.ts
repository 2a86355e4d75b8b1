/**
 * A member's place in its lifecycle. The usual path is `joining → up → leaving → exiting → removed`; a member
 * that fails (or is downed by hand) goes `down → removed` from wherever it was.
 */
export type MemberStatus = 'joining' | 'up' | 'leaving' | 'exiting' | 'down' | 'removed';

/**
 * One node in the cluster. A node is identified by its address *and* incarnation: a node restarted at the same
 * address is a new member, and its old self goes down and is removed.
 */
export interface Member {
  /** The node address, `troupe://<system>@<host:port>`. */
  readonly address: string;
  /** The incarnation of the remote node (new at every start). */
  readonly incarnation: string;
  readonly status: MemberStatus;
  /**
   * Order in which members became `up` (1 for the first), assigned by the leader; 0 while joining. Lower is
   * older: use it to pick the oldest member.
   */
  readonly upNumber: number;
}

/** A member as seen from this node: with its reachability. */
export interface MemberInfo extends Member {
  /** False when some member's failure detector says it is unreachable. */
  readonly reachable: boolean;
}

/**
 * Precedence of statuses when two concurrent views of a member disagree: the later stage of the lifecycle wins,
 * so nothing ever goes back (a downed member stays down even if a stale view says it is up).
 */
export const STATUS_PRECEDENCE: Readonly<Record<MemberStatus, number>> = {
  joining: 0,
  up: 1,
  leaving: 2,
  exiting: 3,
  down: 4,
  removed: 5,
};

export const MEMBER_STATUSES: readonly MemberStatus[] = [
  'joining',
  'up',
  'leaving',
  'exiting',
  'down',
  'removed',
];

/** @internal Addresses never contain whitespace, so a space separates the two halves unambiguously. */
export function uniqueKey(address: string, incarnation: string): string {
  return `${address} ${incarnation}`;
}

/** @internal */
export function keyOf(m: { readonly address: string; readonly incarnation: string }): string {
  return uniqueKey(m.address, m.incarnation);
}

/** @internal Address, then incarnation: the order the ring, the leader and every listing use. */
export function compareMembers(a: Member, b: Member): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  return a.incarnation < b.incarnation ? -1 : a.incarnation > b.incarnation ? 1 : 0;
}
