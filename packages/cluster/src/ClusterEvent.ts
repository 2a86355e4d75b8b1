import type { Member, MemberInfo, MemberStatus } from './Member';

/** A snapshot of the cluster as this node sees it. */
export interface ClusterState {
  /** This node's address. */
  readonly self: string;
  /** This node as a member; undefined until it has joined (and after it has been removed). */
  readonly selfMember: MemberInfo | undefined;
  /** Every member not yet removed, sorted by address, with its reachability. */
  readonly members: ReadonlyArray<MemberInfo>;
  /** Addresses of the members some member finds unreachable. */
  readonly unreachable: readonly string[];
  /** The leader's address, if there is one. */
  readonly leader: string | undefined;
  /** Whether every reachable up/leaving member has seen this node's current view (and none is unreachable). */
  readonly converged: boolean;
}

/**
 * What a subscriber hears. The first event of every subscription is `current-state`; after that, changes in
 * the order this node learns them. A member seen for the first time in some status gets the event of that
 * status only (a member first seen `up` gives `member-up`, no `member-joined`), as in Akka.
 */
export type ClusterEvent =
  | { readonly type: 'current-state'; readonly state: ClusterState }
  | { readonly type: 'member-joined'; readonly member: Member }
  | { readonly type: 'member-up'; readonly member: Member }
  | { readonly type: 'member-left'; readonly member: Member }
  | { readonly type: 'member-exited'; readonly member: Member }
  | { readonly type: 'member-downed'; readonly member: Member }
  | { readonly type: 'member-removed'; readonly member: Member; readonly previousStatus: MemberStatus }
  | { readonly type: 'unreachable'; readonly member: Member }
  | { readonly type: 'reachable'; readonly member: Member }
  | { readonly type: 'leader-changed'; readonly leader: string | undefined };

export type ClusterEventType = ClusterEvent['type'];
