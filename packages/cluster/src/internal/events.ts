import type { ClusterEvent, ClusterState } from '../ClusterEvent';
import { compareMembers, type Member, type MemberInfo, type MemberStatus } from '../Member';

/** @internal What the event diff compares: members by key, who is unreachable, and the leader. */
export interface View {
  readonly members: ReadonlyMap<string, Member>;
  readonly unreachable: ReadonlySet<string>;
  readonly leader: string | undefined;
}

export const EMPTY_VIEW: View = { members: new Map(), unreachable: new Set(), leader: undefined };

const STATUS_EVENT: Record<
  Exclude<MemberStatus, 'removed'>,
  Exclude<
    ClusterEvent['type'],
    'member-removed' | 'current-state' | 'unreachable' | 'reachable' | 'leader-changed'
  >
> = {
  joining: 'member-joined',
  up: 'member-up',
  leaving: 'member-left',
  exiting: 'member-exited',
  down: 'member-downed',
};

/**
 * The events between two views, in Akka's order: member status changes, then reachability, then removals,
 * then the leader. `self` is left out of reachability events: a node does not observe itself.
 */
export function diffViews(prev: View, next: View, self: string): ClusterEvent[] {
  const events: ClusterEvent[] = [];
  const sorted = [...next.members.entries()].sort(([, a], [, b]) => compareMembers(a, b));
  for (const [k, m] of sorted) {
    const before = prev.members.get(k);
    if (m.status === 'removed') continue;
    if (!before || before.status !== m.status)
      events.push({ type: STATUS_EVENT[m.status], member: m } as ClusterEvent);
  }
  for (const [k, m] of sorted) {
    if (k === self || !prev.members.has(k)) {
      if (k !== self && next.unreachable.has(k)) events.push({ type: 'unreachable', member: m });
      continue;
    }
    const was = prev.unreachable.has(k);
    const is = next.unreachable.has(k);
    if (is && !was) events.push({ type: 'unreachable', member: m });
    else if (!is && was) events.push({ type: 'reachable', member: m });
  }
  const gone = [...prev.members.entries()]
    .filter(([k]) => !next.members.has(k))
    .sort(([, a], [, b]) => compareMembers(a, b));
  for (const [, m] of gone) events.push(removedEvent(m));
  if (prev.leader !== next.leader) events.push({ type: 'leader-changed', leader: next.leader });
  return events;
}

export function removedEvent(m: Member): ClusterEvent {
  return {
    type: 'member-removed',
    member: Object.freeze({ ...m, status: 'removed' }),
    previousStatus: m.status,
  };
}

export function stateOf(view: View, self: string, selfAddress: string, converged: boolean): ClusterState {
  const members: MemberInfo[] = [...view.members.entries()]
    .sort(([, a], [, b]) => compareMembers(a, b))
    .map(([k, m]) => Object.freeze({ ...m, reachable: !view.unreachable.has(k) }));
  const unreachable = members.filter((m) => !m.reachable).map((m) => m.address);
  return Object.freeze({
    self: selfAddress,
    selfMember: view.members.has(self)
      ? members.find((m) => `${m.address} ${m.incarnation}` === self)
      : undefined,
    members: Object.freeze(members),
    unreachable: Object.freeze(unreachable),
    leader: view.leader,
    converged,
  });
}
