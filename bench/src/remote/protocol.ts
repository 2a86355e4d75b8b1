// What both processes of a remote case agree on: the messages, the flow-control window and the secret. Raw and
// Troupe cases carry the same message objects. (Troupe's registry is in troupe-serialization.ts, so that the raw
// cases never load Troupe.)
import type { ActorRef } from '@troupe/core';

/** The 32-byte payload every benchmark message carries. */
export const PAYLOAD = 'x'.repeat(32);

/** Both Troupe nodes prove this secret in the WebSocket handshake (the production configuration). */
export const SECRET = 'troupe-bench-secret';

/** Both Troupe nodes use this system name: the transport refuses peers of another system. */
export const SYSTEM = 'bench';

/**
 * Flow control for the tell cases, the same for raw and Troupe: the receiver acknowledges every `ACK_EVERY`
 * messages (and the last one), and the sender keeps at most `WINDOW` messages unacknowledged. Without it a
 * sender that outruns its receiver would hit Troupe's outbound bound (16 MiB, then dead letters) or make `ws`
 * buffer without limit; the window (~2 MB of messages) is far larger than what a loopback round trip needs, so
 * it never throttles a receiver that keeps up.
 */
export const WINDOW = 20_000;
export const ACK_EVERY = 1_000;

/** One tell: the benchmark's unit of work. */
export interface BenchMsg {
  type: 'bench/msg';
  n: number;
  payload: string;
}

/** Starts a tell trial: resets the sink's count. Troupe's carries whom to acknowledge. */
export interface BenchStart {
  type: 'bench/start';
  total: number;
  replyTo?: ActorRef<BenchAck>;
}

/** `count` messages of the current trial have been handled. */
export interface BenchAck {
  type: 'bench/ack';
  count: number;
}

/** A request: a message plus, for Troupe, the ask's temporary reply-to ref. */
export interface BenchReq {
  type: 'bench/req';
  n: number;
  payload: string;
  replyTo?: ActorRef<BenchReply>;
}

export interface BenchReply {
  type: 'bench/reply';
  n: number;
}

export const benchMsg = (n: number): BenchMsg => ({ type: 'bench/msg', n, payload: PAYLOAD });

/** Which server a case runs against. */
export type ServerKind = 'ws-1-per-frame' | 'ws-100-per-frame' | 'ws-req' | 'troupe';

/** Server → client over IPC. */
export type ServerReport = { type: 'ready'; address: string };
/** Client → server over IPC. */
export type ServerCommand = { type: 'stop' };
