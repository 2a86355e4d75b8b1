import { type Behavior, receive, setup } from '@troupe/core';
import { parseAddress } from '@troupe/remote';
import type { ClusterEvent } from '../ClusterEvent';
import { keyOf, type Member, uniqueKey } from '../Member';
import { decideDowning } from './downing';
import { diffViews, removedEvent, stateOf, type View } from './events';
import {
  adopt,
  compareVersions,
  EMPTY_GOSSIP,
  type Gossip,
  isConverged,
  leaderOf,
  merge,
  pruneTombstones,
  removeMembers,
  unreachableMembers,
  withMembers,
  withObservation,
  withSeen,
} from './Gossip';
import {
  CORE_PATH,
  type CoreProtocol,
  type GossipEnvelope,
  gossipFromWire,
  gossipToWire,
  type Welcome,
} from './protocol';
import type { Runtime } from './Runtime';

/** What the heartbeat and receptionist actors are told after every change of membership or reachability. */
export interface MembersUpdate {
  readonly type: '$members';
  readonly members: readonly Member[];
  readonly unreachable: ReadonlySet<string>;
}

export type CoreMessage =
  | CoreProtocol
  | { readonly type: '$gossip-tick' }
  | { readonly type: '$gossip-speedup' }
  | { readonly type: '$join-tick' }
  | { readonly type: '$seed-timeout' }
  | { readonly type: '$exiting-timeout' }
  | { readonly type: '$downing-due' }
  | { readonly type: '$push-due' }
  | { readonly type: '$push-now' }
  /** From the heartbeat actor: this node's failure detector changed its mind about `subject`. */
  | { readonly type: '$observed'; readonly subject: string; readonly reachable: boolean }
  | { readonly type: '$leave'; readonly done: () => void }
  | { readonly type: '$down'; readonly address: string };

/**
 * @internal The membership actor (`/system/cluster/core`): joins through the seeds, gossips, merges views, acts
 * as leader when it is one, takes the downing decision, and publishes events. Its state lives in `rt.core`.
 */
export function clusterCore(rt: Runtime, notify: (update: MembersUpdate) => void): Behavior<CoreMessage> {
  return setup<CoreMessage>((ctx) => {
    const s = rt.core;
    const settings = rt.settings;
    const self = rt.selfKey;
    const now = () => ctx.system.clock.now();
    const otherSeeds = rt.seeds.filter((a) => a !== rt.selfAddress);
    // A restart by the supervisor may have lost the queued `$push-now`: queue a new one when needed.
    s.pushQueued = false;
    const firstSeed = rt.seeds[0] === rt.selfAddress;

    // ------------------------------------------------------------ sending

    const tellCore = (address: string, message: CoreProtocol) =>
      rt.remote<CoreProtocol>(address, CORE_PATH).tell(message);

    const sendGossip = (to: Member) =>
      tellCore(to.address, {
        type: 'troupe/cluster.gossip',
        from: rt.selfAddress,
        incarnation: rt.incarnation,
        to: to.incarnation,
        gossip: gossipToWire(s.gossip),
      });

    const sendInitJoins = () => {
      s.initJoinsUnanswered++;
      for (const seed of otherSeeds)
        tellCore(seed, {
          type: 'troupe/cluster.init-join',
          from: rt.selfAddress,
          incarnation: rt.incarnation,
        });
    };

    // ------------------------------------------------------------ joining

    const joined = (g: Gossip) => {
      s.gossip = g;
      s.joined = true;
      ctx.timers.cancel('join');
      ctx.timers.cancel('seed-timeout');
      ctx.log.info(`joined the cluster as ${rt.selfAddress}`);
      // Whoever asked while we were not a member may join through us now: tell them at once, rather than leave
      // them to their next retry (a whole join retry interval, plus the InitJoin round trip, for every node that
      // started with the cluster).
      for (const address of s.turnedAway)
        tellCore(address, {
          type: 'troupe/cluster.init-join-ack',
          from: rt.selfAddress,
          incarnation: rt.incarnation,
        });
      s.turnedAway.clear();
    };

    const form = () => {
      if (s.joined || s.gone) return;
      const me: Member = Object.freeze({
        address: rt.selfAddress,
        incarnation: rt.incarnation,
        status: 'joining',
        upNumber: 0,
      });
      joined(withMembers(EMPTY_GOSSIP, self, [me]));
      changed();
    };

    if (!s.joined && !s.gone) {
      if (otherSeeds.length === 0) {
        // No seed but ourselves: nobody to wait for.
        ctx.self.tell({ type: '$seed-timeout' });
      } else {
        sendInitJoins();
        ctx.timers.startTimerWithFixedDelay('join', { type: '$join-tick' }, settings.joinRetryIntervalMs);
        if (firstSeed)
          ctx.timers.startSingleTimer('seed-timeout', { type: '$seed-timeout' }, settings.seedTimeoutMs);
      }
    }
    ctx.timers.startTimerWithFixedDelay('gossip', { type: '$gossip-tick' }, settings.gossipIntervalMs);

    // ------------------------------------------------------------ after every change

    /** Events, leader duties (and their events), then whether this node is still in the cluster. */
    const changed = () => {
      // Publish what we learnt before acting on it as leader, so that every step has its event here too.
      publish();
      const farewell = leaderActions();
      publish();
      // Nobody gossips to non-members: the removed that are still alive hear it from the leader. Sent after
      // `publish` has told remoting they are gone (which cuts the connection): this goes on a new one.
      for (const m of farewell) sendGossip(m);
      checkSelf();
      pushOwnChange();
      announceConvergence();
      scheduleDowning();
    };

    /**
     * A version this node made (its own reachability observation, a leader action, a downing, a leave, a join it
     * took) goes to every reachable member at once instead of one per gossip round: a crash is then known
     * everywhere as soon as the first detector finds it, and the leader collects the votes it needs for the next
     * step within one round trip (each receiver answers, having not been seen). Merges and adopted views only
     * spread by gossip.
     *
     * A change of members or statuses goes out as soon as the messages already in the mailbox are handled (so a
     * burst of joins makes one push): there are a handful per member and lifetime, and each is a step that the
     * leader's next one waits for. A change of reachability alone goes out at most once per gossip interval, and
     * later ones within it together at its end: a node whose detectors flap (an overloaded machine) would
     * otherwise add a message to every member per flap, and the load that made them flap.
     */
    const pushOwnChange = () => {
      if (!s.joined || s.gone) return;
      const mine = s.gossip.version.get(self) ?? 0;
      if (mine === s.pushedVersion) return;
      if (membersOf(s.gossip) !== s.pushedMembers) {
        pushSoon();
        return;
      }
      const t = now();
      if (t - s.pushedAt < settings.gossipIntervalMs) {
        if (!ctx.timers.isTimerActive('push'))
          ctx.timers.startSingleTimer(
            'push',
            { type: '$push-due' },
            s.pushedAt + settings.gossipIntervalMs - t,
          );
        return;
      }
      push();
    };

    /**
     * The leader tells every member when its view has converged: each member's own view converges only once it
     * has seen every vote, which the rounds would take several gossip intervals to bring it. Once per version.
     */
    const announceConvergence = () => {
      if (!s.joined || s.gone || s.gossip.members.size < 2) return;
      const g = s.gossip;
      const unreachable = unreachableMembers(g);
      const leader = leaderOf(g, unreachable);
      if (!leader || keyOf(leader) !== self || !isConverged(g, self, unreachable)) return;
      const version = versionOf(g);
      if (version === s.announcedVersion) return;
      s.announcedVersion = version;
      pushSoon();
    };

    /** After the messages already in the mailbox: whatever they change goes out in the same push. */
    const pushSoon = () => {
      if (s.pushQueued) return;
      s.pushQueued = true;
      ctx.self.tell({ type: '$push-now' });
    };

    const push = () => {
      if (!s.joined || s.gone) return;
      s.pushedVersion = s.gossip.version.get(self) ?? 0;
      s.pushedMembers = membersOf(s.gossip);
      s.pushedAt = now();
      ctx.timers.cancel('push');
      const unreachable = unreachableMembers(s.gossip);
      for (const [k, m] of s.gossip.members) if (k !== self && !unreachable.has(k)) sendGossip(m);
    };

    /**
     * Downing acts as soon as the view has been stable for stable-after, not at the next gossip tick after that
     * (up to a whole gossip interval later); the gossip tick still calls it too, for members that were only
     * spared because this node heard from them directly.
     */
    const scheduleDowning = () => {
      if (!s.joined || s.gone || settings.downing.strategy === 'none') return;
      const pending = [...unreachableMembers(s.gossip)].some(
        (k) => k !== self && s.gossip.members.get(k)?.status !== 'down',
      );
      if (!pending) {
        ctx.timers.cancel('downing');
        return;
      }
      const due = s.lastChangeAt + settings.stableAfterMs;
      if (ctx.timers.isTimerActive('downing') && s.downingDueAt === due) return;
      s.downingDueAt = due;
      ctx.timers.startSingleTimer('downing', { type: '$downing-due' }, Math.max(0, due - now()));
    };

    const publish = () => {
      const g = s.gossip;
      const unreachable = unreachableMembers(g);
      const view: View = { members: g.members, unreachable, leader: leaderOf(g, unreachable)?.address };
      const prev = s.view;
      let events = diffViews(prev, view, self);
      const prevSelf = prev.members.get(self);
      if (prevSelf?.status === 'leaving' && !g.members.has(self)) {
        // Removed before we saw ourselves exiting (the final gossip overtook it): keep the documented order.
        const exited: ClusterEvent = { type: 'member-exited', member: { ...prevSelf, status: 'exiting' } };
        const i = events.findIndex((e) => e.type === 'member-removed' && keyOf(e.member) === self);
        events = [...events.slice(0, i), exited, ...events.slice(i)];
      }
      s.view = view;
      rt.state = stateOf(view, self, rt.selfAddress, isConverged(g, self, unreachable));
      for (const e of events) {
        if (e.type === 'member-removed') {
          if (keyOf(e.member) === self) s.selfRemovedPublished = true;
          else memberRemoved(e.member);
        } else if (e.type === 'member-exited' && keyOf(e.member) === self) {
          ctx.timers.startSingleTimer('exiting', { type: '$exiting-timeout' }, settings.exitingTimeoutMs);
        }
        if (e.type !== 'current-state')
          ctx.log.info(`${e.type}${'member' in e ? ' ' + e.member.address : ''}`);
      }
      const signature = membershipSignature(view);
      if (signature !== s.signature) {
        s.signature = signature;
        s.lastChangeAt = now();
        notify({ type: '$members', members: [...g.members.values()], unreachable });
      }
      rt.publish(events);
    };

    /**
     * A member is gone for good: remoting must treat its node as gone too, so that watchers of its actors get
     * `Terminated`. Unless a newer incarnation is already connected at that address: remoting has then
     * declared the old one gone itself, and cutting the connection would hurt the new one.
     */
    const memberRemoved = (m: Member) => {
      const transport = parseAddress(m.address).transport;
      const peer = rt.node.peers().find((p) => p.address === transport);
      if (!peer || peer.incarnation === undefined || peer.incarnation === m.incarnation)
        rt.node.markGone(m.address);
      rt.forget(m.address);
      rt.lastHeard.delete(keyOf(m));
    };

    const checkSelf = () => {
      if (!s.joined || s.gone) return;
      const me = s.gossip.members.get(self);
      if (!me) {
        if (s.gossip.tombstones.has(self)) leaveCluster('removed');
      } else if (me.status === 'down') {
        leaveCluster('downed');
      }
    };

    /**
     * This node is out of the cluster (removed, or downed by anyone, itself included): tell whoever waits, stop
     * serving, and shut the node down. A downed node tells the members it can reach, so they need not wait for
     * their failure detectors.
     */
    const leaveCluster = (why: 'removed' | 'downed' | 'never-joined') => {
      if (s.gone) return;
      s.gone = true;
      ctx.timers.cancelAll();
      if (why === 'downed') {
        // Every member, also those this node finds unreachable: that finding may be a partition that has just
        // healed (a node downs itself on the losing side), and a member that hears of it need not wait out its
        // own detector and stable-after to down this node. Best effort: a member cut off misses it, as before.
        for (const [k, m] of s.gossip.members) if (k !== self) sendGossip(m);
      }
      const me = s.view.members.get(self);
      if (me && !s.selfRemovedPublished) {
        s.selfRemovedPublished = true;
        rt.publish([removedEvent(me)]);
      }
      const members = new Map(s.view.members);
      members.delete(self);
      s.view = { ...s.view, members };
      rt.state = stateOf(s.view, self, rt.selfAddress, false);
      ctx.log.info(`left the cluster (${why}); shutting the node down`);
      for (const done of s.leaveWaiters.splice(0)) done();
      void rt.node.shutdown();
    };

    // ------------------------------------------------------------ leader

    /** Moves members along when this node leads a converged view; returns the removed that are still alive. */
    const leaderActions = (): Member[] => {
      if (!s.joined || s.gone) return [];
      const g = s.gossip;
      const unreachable = unreachableMembers(g);
      const leader = leaderOf(g, unreachable);
      if (!leader) {
        // Nobody to lead, as when the last member is exiting: it removes itself.
        const me = g.members.get(self);
        if (me?.status === 'exiting' && g.members.size === 1)
          s.gossip = removeMembers(g, self, [self], now());
        return [];
      }
      if (keyOf(leader) !== self || !isConverged(g, self, unreachable)) return [];
      let upNumber = Math.max(0, ...[...g.members.values()].map((m) => m.upNumber));
      const changedMembers: Member[] = [];
      const removed: Member[] = [];
      for (const m of [...g.members.values()].sort((a, b) =>
        a.address < b.address ? -1 : a.address > b.address ? 1 : 0,
      )) {
        const k = keyOf(m);
        if (m.status === 'joining') changedMembers.push({ ...m, status: 'up', upNumber: ++upNumber });
        else if (m.status === 'leaving') changedMembers.push({ ...m, status: 'exiting' });
        // An exiting member is removed once it has seen itself exiting (or cannot be asked), so that it goes
        // through every step; a down one regardless of its vote.
        else if (m.status === 'exiting' && (g.seen.has(k) || unreachable.has(k))) removed.push(m);
        else if (m.status === 'down' && k !== self) removed.push(m);
      }
      if (changedMembers.length === 0 && removed.length === 0) return [];
      let next = g;
      if (changedMembers.length > 0)
        next = withMembers(
          next,
          self,
          changedMembers.map((m) => Object.freeze(m)),
        );
      if (removed.length > 0) next = removeMembers(next, self, removed.map(keyOf), now());
      s.gossip = next;
      return removed.filter((m) => !unreachable.has(keyOf(m)));
    };

    // ------------------------------------------------------------ downing

    const downing = () => {
      const g = s.gossip;
      const unreachable = unreachableMembers(g);
      unreachable.delete(self);
      // Whoever we heard from within the acceptable pause is on our side, whatever an observer (perhaps just
      // overloaded) says: in a real partition or crash nothing crosses, so this changes no real decision, but it
      // keeps a burst of false suspicions from downing nodes that are plainly talking to us.
      const t = now();
      for (const k of [...unreachable])
        if (t - (rt.lastHeard.get(k) ?? -Infinity) <= settings.acceptableHeartbeatPauseMs)
          unreachable.delete(k);
      const pending = [...unreachable].map((k) => g.members.get(k)!).filter((m) => m.status !== 'down');
      if (pending.length === 0 || now() - s.lastChangeAt < settings.stableAfterMs) return;
      const decision = decideDowning(settings.downing, [...g.members.values()], unreachable);
      if (decision === 'down-self') {
        const me = g.members.get(self);
        if (!me) return;
        ctx.log.warn(`on the losing side of a partition (${pending.length} unreachable): downing myself`);
        s.gossip = withMembers(g, self, [Object.freeze({ ...me, status: 'down' as const })]);
        changed();
      } else if (
        decision === 'down-unreachable' &&
        leaderOf(g, unreachableMembers(g))?.address === rt.selfAddress
      ) {
        ctx.log.warn(`downing unreachable ${pending.map((m) => m.address).join(', ')}`);
        s.gossip = withMembers(
          g,
          self,
          pending.map((m) => Object.freeze({ ...m, status: 'down' as const })),
        );
        changed();
      }
    };

    // ------------------------------------------------------------ gossip

    const gossipTick = () => {
      if (!s.joined || s.gone) return;
      const t = now();
      // A tick this late means this node itself was stalled (GC, an overloaded machine): it has not been
      // watching, so its view cannot count as stable, and downing waits for a stable-after of its own.
      if (t - s.lastTickAt > 3 * settings.gossipIntervalMs) s.lastChangeAt = t;
      s.lastTickAt = t;
      s.gossip = pruneTombstones(s.gossip, t, settings.pruneTombstonesAfterMs);
      rt.forgetStrangers(s.gossip.members, t - settings.acceptableHeartbeatPauseMs);
      downing();
      if (s.gone) return;
      changed();
      if (s.gone) return;
      gossipOnce();
      // As Akka's gossip speed-up: while fewer than half the members have seen the latest version (a join, a
      // leader action, a reachability change), gossip three times per interval instead of once.
      const g = s.gossip;
      if (g.seen.size < g.members.size / 2) {
        ctx.timers.startSingleTimer('speedup-1', { type: '$gossip-speedup' }, settings.gossipIntervalMs / 3);
        ctx.timers.startSingleTimer(
          'speedup-2',
          { type: '$gossip-speedup' },
          (2 * settings.gossipIntervalMs) / 3,
        );
      }
    };

    const gossipOnce = () => {
      const g = s.gossip;
      const unreachable = unreachableMembers(g);
      const candidates = [...g.members.entries()]
        .filter(([k]) => k !== self && !unreachable.has(k))
        .map(([, m]) => m);
      if (candidates.length === 0) return;
      // Prefer members that have not seen this version yet, but not always: the seen set itself must spread.
      const unseen = candidates.filter((m) => !g.seen.has(keyOf(m)));
      const pool = unseen.length > 0 && ctx.system.random.next() < 0.8 ? unseen : candidates;
      sendGossip(pool[Math.floor(ctx.system.random.next() * pool.length)]);
    };

    const receiveGossip = (msg: GossipEnvelope | Welcome) => {
      if (msg.to !== rt.incarnation || s.gone) return;
      const remote = gossipFromWire(msg.gossip, now());
      if (!s.joined) {
        // A welcome, or gossip that got here first: either way, we are in.
        if (!remote.members.has(self)) return;
        joined(withSeen(adopt(EMPTY_GOSSIP, remote), self));
        changed();
        return;
      }
      const from = uniqueKey(msg.from, msg.incarnation);
      if (remote.tombstones.has(self)) {
        s.gossip = adopt(s.gossip, remote);
        changed();
        return;
      }
      if (msg.type === 'troupe/cluster.welcome') return;
      if (s.gossip.tombstones.has(from)) {
        // A removed node that has not heard of it (the farewell was lost): our view tells it.
        sendGossip({ address: msg.from, incarnation: msg.incarnation, status: 'removed', upNumber: 0 });
        return;
      }
      if (!remote.members.has(self) || !remote.members.has(from)) return;
      const local = s.gossip;
      let talkBack: boolean;
      switch (compareVersions(local.version, remote.version)) {
        case 'same':
          s.gossip = {
            ...local,
            seen: new Set([...local.seen, ...[...remote.seen].filter((k) => local.members.has(k))]),
          };
          talkBack = !remote.seen.has(self);
          break;
        case 'before':
          s.gossip = withSeen(adopt(local, remote), self);
          talkBack = !remote.seen.has(self);
          break;
        case 'after':
          talkBack = true;
          break;
        case 'concurrent':
          s.gossip = withSeen(merge(local, remote), self);
          talkBack = true;
          break;
      }
      changed();
      const sender = s.gossip.members.get(from);
      if (talkBack && sender && !s.gone) sendGossip(sender);
    };

    // ------------------------------------------------------------ messages

    return receive<CoreMessage>((_ctx, msg) => {
      if ('from' in msg) rt.heard(msg.from, msg.incarnation);
      switch (msg.type) {
        case '$join-tick':
          if (!s.joined && !s.gone) sendInitJoins();
          return;
        case '$seed-timeout':
          // Only unanswered rounds count: when this process (or the whole machine) stalled for a seed timeout,
          // the timer fires before the rounds it should have waited for were sent and answered.
          if (
            otherSeeds.length > 0 &&
            s.initJoinsUnanswered < MIN_UNANSWERED_ROUNDS &&
            !s.joined &&
            !s.gone
          ) {
            ctx.timers.startSingleTimer('seed-timeout', { type: '$seed-timeout' }, settings.seedTimeoutMs);
            return;
          }
          form();
          return;
        case 'troupe/cluster.init-join': {
          const status = s.gossip.members.get(self)?.status;
          const member = s.joined && !s.gone && (status === 'joining' || status === 'up');
          if (!member && !s.joined && !s.gone && s.turnedAway.size < MAX_TURNED_AWAY)
            s.turnedAway.add(msg.from);
          tellCore(msg.from, {
            type: member ? 'troupe/cluster.init-join-ack' : 'troupe/cluster.init-join-nack',
            from: rt.selfAddress,
            incarnation: rt.incarnation,
          });
          return;
        }
        case 'troupe/cluster.init-join-ack':
          if (s.joined || s.gone) return;
          // A cluster exists: the first seed must join it, however long that takes (its old incarnation may
          // have to be removed first), and form one of its own only once no seed has answered as a member for
          // a whole seed timeout. Forming one now would split the cluster in two.
          if (firstSeed) {
            s.initJoinsUnanswered = 0;
            ctx.timers.startSingleTimer('seed-timeout', { type: '$seed-timeout' }, settings.seedTimeoutMs);
          }
          tellCore(msg.from, {
            type: 'troupe/cluster.join',
            from: rt.selfAddress,
            incarnation: rt.incarnation,
          });
          return;
        case 'troupe/cluster.init-join-nack':
          // Every other seed is alive and none is a member: there is no cluster to join, so the first seed
          // forms it without waiting for the timeout (as Akka's first seed does).
          if (!s.joined && firstSeed) {
            s.nacks.add(msg.from);
            if (otherSeeds.every((a) => s.nacks.has(a))) form();
          }
          return;
        case 'troupe/cluster.join':
          onJoin(msg.from, msg.incarnation);
          return;
        case 'troupe/cluster.welcome':
        case 'troupe/cluster.gossip':
          receiveGossip(msg);
          return;
        case '$gossip-tick':
          gossipTick();
          return;
        case '$gossip-speedup':
          if (s.joined && !s.gone) gossipOnce();
          return;
        case '$exiting-timeout':
          if (!s.gone) leaveCluster('removed');
          return;
        case '$push-due':
          // Due a gossip interval after the last push: push, without comparing the times again (a rounding error
          // would put the push off by a hair, again and again, at the same instant).
          if (s.joined && !s.gone && (s.gossip.version.get(self) ?? 0) !== s.pushedVersion) push();
          return;
        case '$push-now':
          s.pushQueued = false;
          push();
          return;
        case '$downing-due':
          // A gossip tick overdue means this node was stalled and has not been watching: the gossip tick, queued
          // behind, restarts stable-after (see gossipTick), so do not act on this view.
          if (!s.joined || s.gone || now() - s.lastTickAt > 3 * settings.gossipIntervalMs) return;
          downing();
          return;
        case '$observed': {
          if (!s.joined || s.gone || !s.gossip.members.has(msg.subject)) return;
          const next = withObservation(s.gossip, self, msg.subject, msg.reachable);
          if (next === s.gossip) return;
          s.gossip = next;
          changed();
          return;
        }
        case '$leave': {
          s.leaveWaiters.push(msg.done);
          if (s.gone) {
            for (const done of s.leaveWaiters.splice(0)) done();
            return;
          }
          if (!s.joined) {
            leaveCluster('never-joined');
            return;
          }
          const me = s.gossip.members.get(self);
          if (me && (me.status === 'joining' || me.status === 'up')) {
            s.gossip = withMembers(s.gossip, self, [Object.freeze({ ...me, status: 'leaving' as const })]);
            changed();
          }
          return;
        }
        case '$down': {
          if (s.gone) return;
          if (!s.joined) {
            if (msg.address === rt.selfAddress) leaveCluster('never-joined');
            return;
          }
          const targets = [...s.gossip.members.values()].filter(
            (m) => m.address === msg.address && m.status !== 'down',
          );
          if (targets.length === 0) return;
          s.gossip = withMembers(
            s.gossip,
            self,
            targets.map((m) => Object.freeze({ ...m, status: 'down' as const })),
          );
          changed();
          return;
        }
      }
    });

    function onJoin(address: string, incarnation: string): void {
      const status = s.gossip.members.get(self)?.status;
      if (!s.joined || s.gone || (status !== 'joining' && status !== 'up')) return;
      const key = uniqueKey(address, incarnation);
      if (s.gossip.tombstones.has(key)) return;
      if (!s.gossip.members.has(key)) {
        const stale = [...s.gossip.members.values()].filter((m) => m.address === address);
        if (stale.length > 0) {
          // A new incarnation of a member: its old self is gone. Down it now; the joiner's retries get in once
          // the old one is removed, so two incarnations are never members at once.
          const toDown = stale.filter((m) => m.status !== 'down');
          if (toDown.length > 0) {
            s.gossip = withMembers(
              s.gossip,
              self,
              toDown.map((m) => Object.freeze({ ...m, status: 'down' as const })),
            );
            changed();
          }
          return;
        }
        const joiner: Member = Object.freeze({ address, incarnation, status: 'joining', upNumber: 0 });
        s.gossip = withMembers(s.gossip, self, [joiner]);
        changed();
        if (s.gone) return;
      }
      tellCore(address, {
        type: 'troupe/cluster.welcome',
        from: rt.selfAddress,
        incarnation: rt.incarnation,
        to: incarnation,
        gossip: gossipToWire(s.gossip),
      });
    }
  });
}

/**
 * A first seed forms a cluster of its own on its seed timeout only after at least this many InitJoin rounds
 * went unanswered since a seed last answered as a member.
 */
const MIN_UNANSWERED_ROUNDS = 2;

/** A bound on the nodes remembered to be told when this one becomes a member: more than any cluster's seeds see. */
const MAX_TURNED_AWAY = 1000;

/** Members with their statuses, and tombstones: what a push goes out at once for. */
function membersOf(g: Gossip): string {
  const parts = [...g.members].map(([k, m]) => `${k}=${m.status}`).sort();
  return parts.join(',') + '|' + g.tombstones.size;
}

/** The vector clock as a string, to recognise a version already announced. */
function versionOf(g: Gossip): string {
  return [...g.version]
    .map(([k, n]) => `${k}=${n}`)
    .sort()
    .join(',');
}

/** Members with their statuses, and who is unreachable: what downing's stable-after watches. */
function membershipSignature(view: View): string {
  const parts = [...view.members.entries()].map(([k, m]) => `${k}=${m.status}`).sort();
  return parts.join(',') + '|' + [...view.unreachable].sort().join(',');
}
