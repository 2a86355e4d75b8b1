import { assign, setup } from 'xstate';
import type { ElectionSettings } from '../ElectionSettings';
import type { ElectionStorage } from '../ElectionStorage';
import type { ElectionEvent, RaftMessage } from './protocol';

/** The machine's own name for where it is; `pre-candidate` is shown to users as `candidate`. */
export type MachineRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** One heartbeat round of the current leadership, until a majority has acknowledged it (or it is too old). */
interface Round {
  readonly round: number;
  readonly sentAt: number;
  readonly acks: readonly string[];
}

/** Everything a node knows about the election. Times are on the node's own clock. */
export interface RaftContext {
  readonly role: MachineRole;
  readonly term: number;
  readonly votedFor: string | undefined;
  readonly leader: string | undefined;
  readonly voters: readonly string[];
  /**
   * Last time this node heard from a live leader of its term (or was one, or started). While it is less than
   * `electionTimeoutMinMs` ago the node refuses pre-votes and votes: that is what makes leases safe.
   */
  readonly leaderContactAt: number;
  readonly preVotes: readonly string[];
  readonly votes: readonly string[];
  readonly round: number;
  readonly rounds: readonly Round[];
  readonly lastAckAt: Readonly<Record<string, number>>;
  readonly leaderSince: number;
  /** While leader: the lease holds until then (0: no lease). */
  readonly leaseUntil: number;
}

/** What the machine needs from the actor it runs in: the system's clock and random source, and the wire. */
export interface RoleMachineDeps {
  readonly self: string;
  readonly settings: ElectionSettings;
  readonly voters: readonly string[];
  readonly storage: ElectionStorage;
  /** The fewest votes (and acknowledgements for a lease) that make a majority, whatever the voter set. */
  readonly minQuorum: number;
  now(): number;
  random(): number;
  send(to: string, message: RaftMessage): void;
}

/**
 * The role of one node (follower, pre-candidate, candidate, leader) as an xstate v5 machine. The protocol is
 * Raft's election without a log: terms, RequestVote with a majority, randomized election timeouts, heartbeats,
 * pre-vote, check-quorum and leader stickiness, plus a lease counted from heartbeat rounds a majority acknowledged.
 * Side effects (sending, persisting) go through `deps`, so the machine runs on any clock, real or simulated.
 */
export function createRoleMachine(deps: RoleMachineDeps) {
  const { self, settings, storage } = deps;
  const persisted = storage.load();
  let saved = { term: persisted?.term ?? 0, votedFor: persisted?.votedFor };
  const startedAt = deps.now();
  const majorityOf = (c: RaftContext): number =>
    Math.max(Math.floor(c.voters.length / 2) + 1, deps.minQuorum);

  const sticky = (c: RaftContext): boolean =>
    c.role === 'leader' || deps.now() - c.leaderContactAt < settings.electionTimeoutMinMs;
  const isVoter = (c: RaftContext, address: string): boolean => c.voters.includes(address);
  const broadcast = (c: RaftContext, message: RaftMessage): void => {
    for (const v of c.voters) if (v !== self) deps.send(v, message);
  };

  return setup({
    types: {} as { context: RaftContext; events: ElectionEvent },
    delays: {
      electionTimeout: () =>
        settings.electionTimeoutMinMs +
        deps.random() * (settings.electionTimeoutMaxMs - settings.electionTimeoutMinMs),
      heartbeat: () => settings.heartbeatMs,
    },
    guards: {
      canStand: ({ context }) => isVoter(context, self),
      canStandWithPreVote: ({ context }) => settings.preVote && isVoter(context, self),
      staleTerm: ({ context, event }) => 'term' in event && event.term < context.term,
      higherTerm: ({ context, event }) => 'term' in event && event.term > context.term,
      rivalLeader: ({ context, event }) =>
        event.type === 'leader/heartbeat' && event.term === context.term && context.role === 'leader',
      ackForMe: ({ context, event }) =>
        event.type === 'leader/heartbeat-ack' &&
        context.role === 'leader' &&
        event.ok &&
        event.term === context.term &&
        isVoter(context, event.from),
      rejectedWithHigherTerm: ({ context, event }) =>
        event.type === 'leader/pre-vote-reply' && !event.granted && event.term > context.term,
      preVoteForMe: ({ context, event }) =>
        event.type === 'leader/pre-vote-reply' &&
        context.role === 'pre-candidate' &&
        event.granted &&
        event.forTerm === context.term + 1 &&
        isVoter(context, event.from),
      mustRefuseVote: ({ context, event }) =>
        event.type === 'leader/vote' &&
        (sticky(context) || !isVoter(context, event.from) || event.term < context.term),
      mayVote: ({ context, event }) =>
        event.type === 'leader/vote' && (context.votedFor === undefined || context.votedFor === event.from),
      voteForMe: ({ context, event }) =>
        event.type === 'leader/vote-reply' &&
        context.role === 'candidate' &&
        event.granted &&
        event.forTerm === context.term &&
        isVoter(context, event.from),
      preVoteQuorum: ({ context }) =>
        context.preVotes.length >= majorityOf(context) && isVoter(context, self),
      voteQuorum: ({ context }) => context.votes.length >= majorityOf(context) && isVoter(context, self),
      lostQuorum: ({ context }) => {
        if (!isVoter(context, self)) return true;
        if (!settings.checkQuorum) return false;
        const now = deps.now();
        if (now - context.leaderSince < settings.checkQuorumMs) return false;
        let heard = 1;
        for (const v of context.voters) {
          if (v !== self && now - (context.lastAckAt[v] ?? -Infinity) < settings.checkQuorumMs) heard++;
        }
        return heard < majorityOf(context);
      },
    },
    actions: {
      persist: ({ context }) => {
        if (context.term === saved.term && context.votedFor === saved.votedFor) return;
        // Before any message that depends on it leaves: a vote forgotten by a restart could be given twice.
        storage.save({ term: context.term, votedFor: context.votedFor });
        saved = { term: context.term, votedFor: context.votedFor };
      },
      adoptTerm: assign(({ event }) => ({
        term: (event as RaftMessage).term,
        votedFor: undefined,
        leader: undefined,
      })),
      followHeartbeat: assign(({ context, event }) => {
        const e = event as RaftMessage;
        const newer = e.term > context.term;
        return {
          term: e.term,
          votedFor: newer ? undefined : context.votedFor,
          leader: e.from,
          leaderContactAt: deps.now(),
        };
      }),
      ackHeartbeat: ({ context, event }) => {
        const e = event as Extract<RaftMessage, { type: 'leader/heartbeat' }>;
        deps.send(e.from, {
          type: 'leader/heartbeat-ack',
          term: context.term,
          from: self,
          round: e.round,
          ok: e.term === context.term,
        });
      },
      recordAck: assign(({ context, event }) => {
        const e = event as Extract<RaftMessage, { type: 'leader/heartbeat-ack' }>;
        const now = deps.now();
        const lastAckAt = { ...context.lastAckAt, [e.from]: now };
        let leaseUntil = context.leaseUntil;
        const majority = majorityOf(context);
        let newest = -1;
        const rounds = context.rounds.map((r) => {
          if (r.round !== e.round || r.acks.includes(e.from)) return r;
          const acks = [...r.acks, e.from];
          if (acks.length >= majority) {
            // The lease counts from when the round was sent: every acker heard it after that.
            leaseUntil = Math.max(leaseUntil, r.sentAt + settings.leaseMs);
            newest = r.round;
          }
          return { ...r, acks };
        });
        return { lastAckAt, leaseUntil, rounds: rounds.filter((r) => r.round > newest) };
      }),
      answerPreVote: ({ context, event }) => {
        const e = event as Extract<RaftMessage, { type: 'leader/pre-vote' }>;
        const granted = isVoter(context, e.from) && e.term > context.term && !sticky(context);
        deps.send(e.from, {
          type: 'leader/pre-vote-reply',
          term: context.term,
          forTerm: e.term,
          from: self,
          granted,
        });
      },
      grantVote: assign(({ event }) => ({ votedFor: (event as RaftMessage).from })),
      replyVote: ({ context, event }) => {
        const e = event as Extract<RaftMessage, { type: 'leader/vote' }>;
        const granted = context.term === e.term && context.votedFor === e.from;
        deps.send(e.from, {
          type: 'leader/vote-reply',
          term: context.term,
          forTerm: e.term,
          from: self,
          granted,
        });
      },
      countPreVote: assign(({ context, event }) => {
        const from = (event as RaftMessage).from;
        return context.preVotes.includes(from) ? {} : { preVotes: [...context.preVotes, from] };
      }),
      countVote: assign(({ context, event }) => {
        const from = (event as RaftMessage).from;
        return context.votes.includes(from) ? {} : { votes: [...context.votes, from] };
      }),
      setVoters: assign(({ event }) =>
        event.type === 'leader/set-voters' ? { voters: [...event.voters] } : {},
      ),
      enterFollower: assign({ role: 'follower' as MachineRole }),
      enterPreCandidate: assign(() => ({
        role: 'pre-candidate' as MachineRole,
        leader: undefined,
        preVotes: [self],
      })),
      sendPreVotes: ({ context }) =>
        broadcast(context, { type: 'leader/pre-vote', term: context.term + 1, from: self }),
      enterCandidate: assign(({ context }) => ({
        role: 'candidate' as MachineRole,
        term: context.term + 1,
        votedFor: self,
        leader: undefined,
        votes: [self],
      })),
      sendVotes: ({ context }) => broadcast(context, { type: 'leader/vote', term: context.term, from: self }),
      enterLeader: assign(() => ({
        role: 'leader' as MachineRole,
        leader: self,
        leaderSince: deps.now(),
        rounds: [],
        lastAckAt: {},
        leaseUntil: 0,
      })),
      leaveLeader: assign(() => ({
        role: 'follower' as MachineRole,
        leader: undefined,
        leaseUntil: 0,
        rounds: [],
        // Having led until now counts as having heard a leader: the lease argument needs this node to refuse
        // votes for a while too.
        leaderContactAt: deps.now(),
      })),
      tick: assign(({ context }) => {
        const now = deps.now();
        const round = context.round + 1;
        const rounds = [
          ...context.rounds.filter((r) => r.sentAt + settings.leaseMs > now),
          { round, sentAt: now, acks: [self] },
        ];
        const leaseUntil = majorityOf(context) <= 1 ? now + settings.leaseMs : context.leaseUntil;
        return { round, rounds, leaseUntil, leaderContactAt: now };
      }),
      sendHeartbeats: ({ context }) =>
        broadcast(context, {
          type: 'leader/heartbeat',
          term: context.term,
          from: self,
          round: context.round,
        }),
    },
  }).createMachine({
    id: 'raft',
    initial: 'follower',
    context: {
      role: 'follower',
      term: saved.term,
      votedFor: saved.votedFor,
      leader: undefined,
      voters: [...deps.voters],
      // A node that starts (or restarts, having forgotten whom it heard) behaves as if it had just heard a
      // leader: a lease granted with its acknowledgement before a crash is still respected.
      leaderContactAt: startedAt,
      preVotes: [],
      votes: [],
      round: 0,
      rounds: [],
      lastAckAt: {},
      leaderSince: 0,
      leaseUntil: 0,
    },
    on: {
      'leader/heartbeat': [
        { guard: 'staleTerm', actions: 'ackHeartbeat' },
        { guard: 'rivalLeader' },
        { target: '.follower', actions: ['followHeartbeat', 'persist', 'ackHeartbeat'] },
      ],
      'leader/heartbeat-ack': [
        { guard: 'higherTerm', target: '.follower', actions: ['adoptTerm', 'persist'] },
        { guard: 'ackForMe', actions: 'recordAck' },
      ],
      'leader/pre-vote': { actions: 'answerPreVote' },
      'leader/pre-vote-reply': [
        { guard: 'rejectedWithHigherTerm', target: '.follower', actions: ['adoptTerm', 'persist'] },
        { guard: 'preVoteForMe', actions: 'countPreVote' },
      ],
      'leader/vote': [
        { guard: 'mustRefuseVote', actions: 'replyVote' },
        {
          guard: 'higherTerm',
          target: '.follower',
          actions: ['adoptTerm', 'grantVote', 'persist', 'replyVote'],
        },
        { guard: 'mayVote', target: '.follower', actions: ['grantVote', 'persist', 'replyVote'] },
        { actions: 'replyVote' },
      ],
      'leader/vote-reply': [
        { guard: 'higherTerm', target: '.follower', actions: ['adoptTerm', 'persist'] },
        { guard: 'voteForMe', actions: 'countVote' },
      ],
      'leader/set-voters': { actions: 'setVoters' },
    },
    states: {
      follower: {
        entry: 'enterFollower',
        after: {
          electionTimeout: [
            { guard: 'canStandWithPreVote', target: 'preCandidate' },
            { guard: 'canStand', target: 'candidate' },
            { target: 'follower', reenter: true },
          ],
        },
      },
      preCandidate: {
        entry: ['enterPreCandidate', 'sendPreVotes'],
        always: { guard: 'preVoteQuorum', target: 'candidate' },
        // A round that failed is tried again after a fresh random timeout, as an election in Raft: retrying sooner
        // lets several pre-candidates pass at once and split the vote that follows (seen in the benchmark).
        after: {
          electionTimeout: [
            { guard: 'canStand', target: 'preCandidate', reenter: true },
            { target: 'follower' },
          ],
        },
      },
      candidate: {
        entry: ['enterCandidate', 'persist', 'sendVotes'],
        always: { guard: 'voteQuorum', target: 'leader' },
        after: {
          electionTimeout: [
            { guard: 'canStandWithPreVote', target: 'preCandidate' },
            { guard: 'canStand', target: 'candidate', reenter: true },
            { target: 'follower' },
          ],
        },
      },
      leader: {
        entry: 'enterLeader',
        exit: 'leaveLeader',
        initial: 'beating',
        states: {
          beating: {
            entry: ['tick', 'sendHeartbeats'],
            after: {
              heartbeat: [
                { guard: 'lostQuorum', target: '#raft.follower' },
                { target: 'beating', reenter: true },
              ],
            },
          },
        },
      },
    },
  });
}

export type RoleMachine = ReturnType<typeof createRoleMachine>;
