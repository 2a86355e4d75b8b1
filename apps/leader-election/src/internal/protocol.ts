import { DuplicateManifestError, messageType, type Serialization } from '@troupe/remote';

/** A leader's heartbeat: "I lead `term`"; `round` identifies it for the lease. */
export type Heartbeat = { type: 'leader/heartbeat'; term: number; from: string; round: number };
/** The answer to a heartbeat: `ok` when the sender's term is current; `term` is the voter's. */
export type HeartbeatAck = {
  type: 'leader/heartbeat-ack';
  term: number;
  from: string;
  round: number;
  ok: boolean;
};
/** "Would you vote for me in `term`?", asked without changing anyone's term. */
export type PreVoteRequest = { type: 'leader/pre-vote'; term: number; from: string };
export type PreVoteReply = {
  type: 'leader/pre-vote-reply';
  term: number;
  forTerm: number;
  from: string;
  granted: boolean;
};
export type VoteRequest = { type: 'leader/vote'; term: number; from: string };
export type VoteReply = {
  type: 'leader/vote-reply';
  term: number;
  forTerm: number;
  from: string;
  granted: boolean;
};

/**
 * Sent now and then to every other voter, and otherwise ignored: followers talk only to the leader, and without it
 * the first pre-vote between two of them would wait for a connection to be set up, just when the leader has died.
 */
export type Hello = { type: 'leader/hello'; term: number; from: string };

/** Every message that crosses the wire between election actors. */
export type RaftMessage =
  Heartbeat | HeartbeatAck | PreVoteRequest | PreVoteReply | VoteRequest | VoteReply | Hello;

/** Local only: the voter set changed (cluster membership). */
export type SetVoters = { type: 'leader/set-voters'; voters: readonly string[] };

export type ElectionEvent = RaftMessage | SetVoters;

const NODE_ADDRESS = /^troupe:\/\/[A-Za-z0-9][A-Za-z0-9_-]*@[^/\s]+$/;

/** A node address such as `troupe://system@127.0.0.1:4711`, with no path. */
export function isNodeAddress(v: unknown): v is string {
  return typeof v === 'string' && v.length <= 512 && NODE_ADDRESS.test(v);
}

const isTerm = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const common = (m: Record<string, unknown>) => isTerm(m.term) && isNodeAddress(m.from);

const codecs = [
  messageType<Heartbeat>('leader/heartbeat', (m) => common(m) && isTerm(m.round)),
  messageType<HeartbeatAck>(
    'leader/heartbeat-ack',
    (m) => common(m) && isTerm(m.round) && typeof m.ok === 'boolean',
  ),
  messageType<PreVoteRequest>('leader/pre-vote', common),
  messageType<PreVoteReply>(
    'leader/pre-vote-reply',
    (m) => common(m) && isTerm(m.forTerm) && typeof m.granted === 'boolean',
  ),
  messageType<VoteRequest>('leader/vote', common),
  messageType<Hello>('leader/hello', common),
  messageType<VoteReply>(
    'leader/vote-reply',
    (m) => common(m) && isTerm(m.forTerm) && typeof m.granted === 'boolean',
  ),
];

/**
 * Registers the election's messages in `serialization` (a node's registry); registering twice is harmless, so
 * every election on a node and every start of a simulated node may call it.
 */
export function registerElectionProtocol(serialization: Serialization): void {
  for (const codec of codecs) {
    try {
      serialization.register(codec);
    } catch (e) {
      if (!(e instanceof DuplicateManifestError)) throw e;
    }
  }
}
