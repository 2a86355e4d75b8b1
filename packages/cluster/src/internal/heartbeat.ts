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
  /** The `seq` of the last heartbeat it answered. */
  answeredSeq: number;
  /** Heartbeats from this `seq` on were sent after its first answer arrived; undefined before that answer. */
  learnFromSeq: number | undefined;
}

/** @internal The heartbeat actor's state, outside the actor so that a restart keeps the detectors' history. */
export class HeartbeatState {
  members: readonly Member[] = [];
  unreachable: ReadonlySet<string> = new Set();
  readonly monitored = new Map<string, Monitored>();
  /** When the armed check is due: the earliest instant a monitored member could be found unreachable. */
  checkDueAt: number | undefined = undefined;
  /** The `seq` of the last heartbeat sent. */
  seq = 0;
}

export type HeartbeatMessage =
  HeartbeatProtocol | MembersUpdate | { readonly type: '$heartbeat-tick' } | { readonly type: '$check' };

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

    const report = (m: Monitored, reachable: boolean, t: number) => {
      m.unreachable = !reachable;
      if (!reachable && m.detector)
        ctx.log.debug(
          `${m.member.address} silent for ${Math.round(t - (m.detector.lastHeartbeatAt ?? t))} ms ` +
            `(mean interval ${Math.round(m.detector.meanIntervalMs!)} ms, ` +
            `deviation ${Math.round(m.detector.stdDeviationMs!)} ms): unreachable`,
        );
      core().tell({ type: '$observed', subject: keyOf(m.member), reachable });
    };

    const beat = (m: Monitored) => {
      const seq = ++state.seq;
      rt.remote<HeartbeatProtocol>(m.member.address, HEARTBEAT_PATH).tell({
        type: 'troupe/cluster.heartbeat',
        from: rt.selfAddress,
        incarnation: rt.incarnation,
        to: m.member.incarnation,
        seq,
      });
    };

    /**
     * When `m` could first be found unreachable: for a member that never answered, when its answer is overdue
     * (its detector then starts as if it had answered then); otherwise when phi would cross the threshold with no
     * further answer. Never for one already reported unreachable: its next answer reports it reachable.
     */
    const dueOf = (m: Monitored): number => {
      if (m.unreachable) return Infinity;
      if (!m.detector) return m.since + settings.expectedResponseAfterMs;
      return m.detector.unavailableAt();
    };

    /**
     * Phi is checked when it could first have crossed the threshold, not on a periodic tick: a tick would add up
     * to a whole period to every detection. The timer is moved earlier when a deadline comes closer, but not
     * later at every answer (that would re-arm it at every heartbeat): firing early only re-arms it.
     */
    const arm = (minDelayMs = 0) => {
      let due = Infinity;
      for (const m of state.monitored.values()) due = Math.min(due, dueOf(m));
      if (due === Infinity) {
        ctx.timers.cancel('check');
        state.checkDueAt = undefined;
        return;
      }
      const t = now();
      due = Math.max(due, t + minDelayMs);
      if (ctx.timers.isTimerActive('check') && state.checkDueAt !== undefined && state.checkDueAt <= due)
        return;
      state.checkDueAt = due;
      ctx.timers.startSingleTimer('check', { type: '$check' }, due - t);
    };

    const check = () => {
      const t = now();
      // Late by more than half the acceptable pause: this node was stalled, and the answers it has not read yet
      // are queued behind this timer. Suspect nobody now; look again a moment later, once they are read.
      const stalled =
        state.checkDueAt !== undefined && t - state.checkDueAt > settings.acceptableHeartbeatPauseMs / 2;
      state.checkDueAt = undefined;
      for (const m of state.monitored.values()) {
        if (!m.detector) {
          // Never answered: start the detector as if it had answered when it was due, so that a member that
          // never answers is found as one that went silent (Akka's "expected first heartbeat").
          if (t - m.since < settings.expectedResponseAfterMs) continue;
          m.detector = detector();
          m.detector.heartbeat(m.since + settings.expectedResponseAfterMs);
        }
        const available = m.detector.isAvailable(t);
        if (!available && !m.unreachable && !stalled) report(m, false, t);
        else if (available && m.unreachable) report(m, true, t);
      }
      // After a stall, look again one reaper interval later; otherwise at the next deadline, at least a
      // millisecond on (a deadline that rounding left a hair early must not fire again at the same instant).
      arm(stalled ? settings.unreachableReaperIntervalMs : 1);
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
        if (!state.monitored.has(k)) {
          const monitored: Monitored = {
            member: m,
            since: now(),
            detector: undefined,
            unreachable: false,
            answeredSeq: 0,
            learnFromSeq: undefined,
          };
          state.monitored.set(k, monitored);
          // The first heartbeat goes now, not at the next tick: the member's first answer is expected within
          // expectedResponseAfterMs of now, and a tick up to an interval away would eat into that.
          beat(monitored);
        }
      }
      arm();
    };

    // Fixed delay, not fixed rate (as Akka's heartbeat sender): after a stall, a fixed-rate timer catches up with
    // a burst of heartbeats whose answers arrive together, and the detectors learn a run of near-zero intervals,
    // while the long interval that ended a suspected silence is left out. The mean drops, the deviation balloons
    // (measured on a loaded machine: mean 50-90 ms, deviation 60-150 ms for 100 ms heartbeats), and every later
    // failure takes longer to find.
    ctx.timers.startTimerWithFixedDelay(
      'heartbeat',
      { type: '$heartbeat-tick' },
      settings.heartbeatIntervalMs,
    );
    arm();

    return receive<HeartbeatMessage>((_ctx, msg) => {
      switch (msg.type) {
        case '$members':
          state.members = msg.members;
          state.unreachable = msg.unreachable;
          reselect();
          return;
        case '$heartbeat-tick':
          for (const m of state.monitored.values()) beat(m);
          return;
        case '$check':
          check();
          return;
        case 'troupe/cluster.heartbeat':
          rt.heard(msg.from, msg.incarnation);
          // Answer everyone (a member not yet known here may already monitor us), but only as ourselves: a
          // heartbeat for an earlier incarnation of this node must go unanswered, so that it is found dead.
          if (msg.to !== rt.incarnation) return;
          rt.remote<HeartbeatProtocol>(msg.from, HEARTBEAT_PATH).tell({
            type: 'troupe/cluster.heartbeat-rsp',
            from: rt.selfAddress,
            incarnation: rt.incarnation,
            seq: msg.seq,
          });
          return;
        case 'troupe/cluster.heartbeat-rsp': {
          rt.heard(msg.from, msg.incarnation);
          const m = state.monitored.get(uniqueKey(msg.from, msg.incarnation));
          // An answer older than one already counted (a duplicate) says nothing new; one to a heartbeat this
          // node never sent (meant for its previous incarnation at this address) is not for us.
          if (!m || msg.seq <= m.answeredSeq || msg.seq > state.seq) return;
          const t = now();
          // The history starts with answers to heartbeats sent after the first answer arrived. Those sent before
          // it were queued behind a connection being set up (or a process starting) and come back together, and
          // the first answer after them comes whenever the next tick falls: near-zero and cut-short intervals
          // that would swell the deviation for the next thousand heartbeats, and make every crash slower to find.
          // From then on every interval counts, as in Akka.
          const learn = m.learnFromSeq !== undefined && m.answeredSeq >= m.learnFromSeq;
          m.learnFromSeq ??= state.seq + 1;
          m.answeredSeq = msg.seq;
          m.detector ??= detector();
          m.detector.heartbeat(t, learn);
          if (m.unreachable && m.detector.isAvailable(t)) report(m, true, t);
          arm();
          return;
        }
      }
    });
  });
}
