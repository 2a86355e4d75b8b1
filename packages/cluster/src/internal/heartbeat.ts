import { type ActorRef, type Behavior, receive, setup } from '@troupe/core';
import { compareMembers, keyOf, type Member, uniqueKey } from '../Member';
import { PhiAccrualFailureDetector } from '../PhiAccrualFailureDetector';
import type { CoreMessage, MembersUpdate } from './clusterCore';
import { HEARTBEAT_PATH, type HeartbeatProtocol } from './protocol';
import type { Runtime } from './Runtime';

interface Monitored {
  readonly member: Member;
  /** When monitoring started: a member that never answers is found from here. */
  readonly since: number;
  detector: PhiAccrualFailureDetector | undefined;
  /** What this node last told the core actor: true once found unreachable, until heard from again. */
  unreachable: boolean;
}

/** @internal The heartbeat actor's state, outside the actor so that a restart keeps the detectors' history. */
export class HeartbeatState {
  members: readonly Member[] = [];
  unreachable: ReadonlySet<string> = new Set();
  readonly monitored = new Map<string, Monitored>();
  lastReapAt: number | undefined = undefined;
}

export type HeartbeatMessage =
  HeartbeatProtocol | MembersUpdate | { readonly type: '$heartbeat-tick' } | { readonly type: '$reap-tick' };

/**
 * Whom this node monitors: everyone when there are at most `n` others; otherwise its next `n` reachable
 * successors on the ring of members sorted by address (so every member is watched by `n` others, and the load
 * is even), plus every unreachable member, so that it is noticed when it comes back.
 */
export function heartbeatReceivers(
  members: readonly Member[],
  unreachable: ReadonlySet<string>,
  self: string,
  n: number,
): Member[] {
  const ring = members.filter((m) => m.status !== 'down' || unreachable.has(keyOf(m))).sort(compareMembers);
  const others = ring.filter((m) => keyOf(m) !== self);
  if (others.length <= n) return others;
  let start = ring.findIndex((m) => keyOf(m) === self);
  if (start < 0) start = ring.length - 1;
  const out: Member[] = [];
  let reachable = 0;
  for (let i = 1; i < ring.length; i++) {
    const m = ring[(start + i) % ring.length];
    const k = keyOf(m);
    if (k === self) continue;
    if (unreachable.has(k)) out.push(m);
    else if (reachable < n) {
      out.push(m);
      reachable++;
    }
  }
  return out;
}

/**
 * @internal The heartbeat actor (`/system/cluster/heartbeat`): sends heartbeats to the members this node
 * monitors, answers everyone's heartbeats, feeds one phi-accrual detector per monitored member with the
 * answers, and tells the core actor when a member becomes unreachable or reachable again.
 */
export function heartbeatActor(
  rt: Runtime,
  state: HeartbeatState,
  core: () => ActorRef<CoreMessage>,
): Behavior<HeartbeatMessage> {
  return setup<HeartbeatMessage>((ctx) => {
    const settings = rt.settings;
    const now = () => ctx.system.clock.now();
    const detector = () =>
      new PhiAccrualFailureDetector({
        threshold: settings.phiThreshold,
        maxSampleSize: settings.maxSampleSize,
        minStdDeviationMs: settings.minStdDeviationMs,
        acceptableHeartbeatPauseMs: settings.acceptableHeartbeatPauseMs,
        firstHeartbeatEstimateMs: settings.heartbeatIntervalMs,
      });

    const report = (m: Monitored, reachable: boolean) => {
      m.unreachable = !reachable;
      core().tell({ type: '$observed', subject: keyOf(m.member), reachable });
    };

    const reselect = () => {
      const mine = new Set(
        [...state.monitored.values()].filter((m) => m.unreachable).map((m) => keyOf(m.member)),
      );
      const watchFor = new Set([...state.unreachable, ...mine]);
      const receivers = heartbeatReceivers(
        state.members,
        watchFor,
        rt.selfKey,
        settings.monitoredByNrOfMembers,
      );
      const keys = new Set(receivers.map(keyOf));
      for (const k of [...state.monitored.keys()]) if (!keys.has(k)) state.monitored.delete(k);
      for (const m of receivers) {
        const k = keyOf(m);
        if (!state.monitored.has(k))
          state.monitored.set(k, { member: m, since: now(), detector: undefined, unreachable: false });
      }
    };

    // Fixed delay, not fixed rate (as Akka's heartbeat sender): after a stall, a fixed-rate timer catches up with
    // a burst of heartbeats whose answers arrive together, and the detectors learn a run of near-zero intervals,
    // while the long interval that ended a suspected silence is left out. The mean drops, the deviation balloons
    // (measured on a loaded machine: mean 50-90 ms, deviation 60-150 ms for 100 ms heartbeats), and every later
    // failure takes longer to find. The reaper likewise runs once after a stall, not once per missed tick.
    ctx.timers.startTimerWithFixedDelay(
      'heartbeat',
      { type: '$heartbeat-tick' },
      settings.heartbeatIntervalMs,
    );
    ctx.timers.startTimerWithFixedDelay('reap', { type: '$reap-tick' }, settings.unreachableReaperIntervalMs);

    return receive<HeartbeatMessage>((_ctx, msg) => {
      switch (msg.type) {
        case '$members':
          state.members = msg.members;
          state.unreachable = msg.unreachable;
          reselect();
          return;
        case '$heartbeat-tick':
          for (const m of state.monitored.values())
            rt.remote<HeartbeatProtocol>(m.member.address, HEARTBEAT_PATH).tell({
              type: 'troupe/cluster.heartbeat',
              from: rt.selfAddress,
              incarnation: rt.incarnation,
              to: m.member.incarnation,
            });
          return;
        case '$reap-tick': {
          const t = now();
          // Late by more than half the acceptable pause: this node was stalled, and the answers it has not
          // read yet are queued behind this timer. Suspect nobody this round; the next one sees them.
          const stalled =
            state.lastReapAt !== undefined && t - state.lastReapAt > settings.acceptableHeartbeatPauseMs / 2;
          state.lastReapAt = t;
          for (const m of state.monitored.values()) {
            if (!m.detector) {
              // Never answered: start the detector as if it had answered when it was due, so that a member
              // that never answers is found as one that went silent (Akka's "expected first heartbeat").
              if (t - m.since < settings.expectedResponseAfterMs) continue;
              m.detector = detector();
              m.detector.heartbeat(m.since + settings.expectedResponseAfterMs);
            }
            const available = m.detector.isAvailable(t);
            if (!available && !m.unreachable && !stalled) report(m, false);
            else if (available && m.unreachable) report(m, true);
          }
          return;
        }
        case 'troupe/cluster.heartbeat':
          rt.heard(msg.from, msg.incarnation);
          // Answer everyone (a member not yet known here may already monitor us), but only as ourselves: a
          // heartbeat for an earlier incarnation of this node must go unanswered, so that it is found dead.
          if (msg.to !== rt.incarnation) return;
          rt.remote<HeartbeatProtocol>(msg.from, HEARTBEAT_PATH).tell({
            type: 'troupe/cluster.heartbeat-rsp',
            from: rt.selfAddress,
            incarnation: rt.incarnation,
          });
          return;
        case 'troupe/cluster.heartbeat-rsp': {
          rt.heard(msg.from, msg.incarnation);
          const m = state.monitored.get(uniqueKey(msg.from, msg.incarnation));
          if (!m) return;
          const t = now();
          m.detector ??= detector();
          m.detector.heartbeat(t);
          if (m.unreachable && m.detector.isAvailable(t)) report(m, true);
          return;
        }
      }
    });
  });
}
