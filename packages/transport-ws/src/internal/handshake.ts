/**
 * The handshake every WebSocket connection runs before it carries a single message. Three JSON text frames:
 *
 * ```text
 * server → client  {"type":"challenge","v":1,"system","incarnation","address","nonce"}
 * client → server  {"type":"response","v":1,"system","incarnation","address","nonce","proof"}
 * server → client  {"type":"accept","v":1,"proof"}
 * ```
 *
 * Nonces are 32 random bytes and proofs HMAC-SHA256 values, both as 64 lowercase hex digits. The client's proof
 * covers both nonces and the client's identity; the server's covers both nonces and the server's identity; the
 * two carry different labels, so one can never be replayed as the other. Every frame is validated strictly:
 * exact key set, every field's type and length; anything else is a protocol violation.
 *
 * The state machines here do no I/O: they turn received frames into what to send or how to fail, and the
 * transport does the sockets and timers.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  AuthenticationError,
  type CloseCodeName,
  type NodeIdentity,
  ProtocolError,
  SystemMismatchError,
  type TransportError,
} from '@troupe/transport';

export const PROTOCOL_VERSION = 1;
const NONCE_BYTES = 32;
const HEX_32_BYTES = /^[0-9a-f]{64}$/;
/** Well above any honest handshake frame; checked before parsing so a peer cannot make us parse megabytes. */
export const MAX_HANDSHAKE_FRAME_BYTES = 2048;
/** Longest system name, incarnation and address a handshake accepts, in characters. */
export const MAX_IDENTITY_FIELD_LENGTH = 256;
// Printable, no control characters: these strings end up in logs and events.
const CONTROL_CHARACTER_RE = /\p{Cc}/u;

export interface ChallengeFrame extends NodeIdentity {
  readonly type: 'challenge';
  readonly v: number;
  readonly nonce: string;
}

export interface ResponseFrame extends NodeIdentity {
  readonly type: 'response';
  readonly v: number;
  readonly nonce: string;
  readonly proof: string;
}

export interface AcceptFrame {
  readonly type: 'accept';
  readonly v: number;
  readonly proof: string;
}

/** How a handshake failed: the close code to send (or that was received) and the error a dialer rejects with. */
export interface HandshakeFailure {
  readonly kind: 'fail';
  readonly closeCode: Extract<
    CloseCodeName,
    'protocolViolation' | 'versionMismatch' | 'authenticationFailed' | 'systemMismatch'
  >;
  readonly detail: string;
  readonly error: TransportError;
  /** Who the peer claimed to be, when it got that far. */
  readonly peer?: NodeIdentity;
}

/** What a received ws message looks like: ws hands over a Buffer, an ArrayBuffer or fragments. */
export type RawFrame = Buffer | ArrayBuffer | Buffer[];

export function frameBytes(data: RawFrame): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export function isValidIdentityField(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_IDENTITY_FIELD_LENGTH &&
    !CONTROL_CHARACTER_RE.test(value)
  );
}

function violation(detail: string, peer?: NodeIdentity): HandshakeFailure {
  return { kind: 'fail', closeCode: 'protocolViolation', detail, error: new ProtocolError(detail), peer };
}

function authFailure(detail: string, peer?: NodeIdentity): HandshakeFailure {
  return {
    kind: 'fail',
    closeCode: 'authenticationFailed',
    detail,
    error: new AuthenticationError(detail),
    peer,
  };
}

function systemMismatch(expected: string, peer: NodeIdentity): HandshakeFailure {
  return {
    kind: 'fail',
    closeCode: 'systemMismatch',
    detail: `peer belongs to system ${peer.system}, not ${expected}`,
    error: new SystemMismatchError(expected, peer.system),
    peer,
  };
}

const FIELDS = {
  challenge: ['type', 'v', 'system', 'incarnation', 'address', 'nonce'],
  response: ['type', 'v', 'system', 'incarnation', 'address', 'nonce', 'proof'],
  accept: ['type', 'v', 'proof'],
} as const;

type FrameOf<T extends keyof typeof FIELDS> = T extends 'challenge'
  ? ChallengeFrame
  : T extends 'response'
    ? ResponseFrame
    : AcceptFrame;

/**
 * Parses one handshake frame of the expected type, or says why not. The version is checked before the shape,
 * since another version may well have other fields: a peer speaking version 2 gets 'versionMismatch', not a
 * protocol violation.
 */
export function parseFrame<T extends keyof typeof FIELDS>(
  expected: T,
  data: RawFrame,
  isBinary: boolean,
): FrameOf<T> | HandshakeFailure {
  if (isBinary) return violation(`expected a ${expected} text frame, got a binary frame`);
  const bytes = frameBytes(data);
  if (bytes.length > MAX_HANDSHAKE_FRAME_BYTES) return violation(`${expected} frame too long`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return violation(`${expected} frame is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return violation(`${expected} frame is not an object`);
  }
  const record = parsed as Record<string, unknown>;
  const v = record.v;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) return violation(`${expected} frame has no version`);
  if (v !== PROTOCOL_VERSION) {
    const detail = `peer speaks protocol version ${v}, this node ${PROTOCOL_VERSION}`;
    return { kind: 'fail', closeCode: 'versionMismatch', detail, error: new ProtocolError(detail) };
  }
  const keys = Object.keys(record);
  const fields: readonly string[] = FIELDS[expected];
  if (keys.length !== fields.length || !keys.every((k) => fields.includes(k))) {
    return violation(`${expected} frame has unexpected fields`);
  }
  if (record.type !== expected) return violation(`expected a ${expected} frame, got ${String(record.type)}`);
  for (const key of ['system', 'incarnation', 'address'] as const) {
    if (key in record && !isValidIdentityField(record[key]))
      return violation(`${expected} frame: invalid ${key}`);
  }
  for (const key of ['nonce', 'proof'] as const) {
    if (key in record && (typeof record[key] !== 'string' || !HEX_32_BYTES.test(record[key]))) {
      return violation(`${expected} frame: invalid ${key}`);
    }
  }
  return record as unknown as FrameOf<T>;
}

function isFailure(value: object): value is HandshakeFailure {
  return (value as { kind?: unknown }).kind === 'fail';
}

/** HMAC over length-prefixed parts, so no two different part lists hash the same bytes. */
function mac(secret: Buffer, parts: readonly (string | Buffer)[]): Buffer {
  const hmac = createHmac('sha256', secret);
  const length = Buffer.alloc(4);
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    length.writeUInt32BE(bytes.length);
    hmac.update(length);
    hmac.update(bytes);
  }
  return hmac.digest();
}

function identityParts(identity: NodeIdentity): string[] {
  return [identity.system, identity.incarnation, identity.address];
}

/** `HMAC-SHA256(secret, 'troupe/client' | v | serverNonce | clientNonce | client identity)`, hex. */
export function clientProof(
  secret: Buffer,
  serverNonce: string,
  clientNonce: string,
  client: NodeIdentity,
): string {
  return mac(secret, [
    'troupe/client',
    String(PROTOCOL_VERSION),
    Buffer.from(serverNonce, 'hex'),
    Buffer.from(clientNonce, 'hex'),
    ...identityParts(client),
  ]).toString('hex');
}

/** `HMAC-SHA256(secret, 'troupe/server' | v | clientNonce | serverNonce | server identity)`, hex. */
export function serverProof(
  secret: Buffer,
  clientNonce: string,
  serverNonce: string,
  server: NodeIdentity,
): string {
  return mac(secret, [
    'troupe/server',
    String(PROTOCOL_VERSION),
    Buffer.from(clientNonce, 'hex'),
    Buffer.from(serverNonce, 'hex'),
    ...identityParts(server),
  ]).toString('hex');
}

/** Both arguments are validated 64-digit hex strings, so the buffers always have the same length. */
function proofsMatch(expected: string, given: string): boolean {
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given, 'hex'));
}

function newNonce(): string {
  return randomBytes(NONCE_BYTES).toString('hex');
}

function identityOf(frame: NodeIdentity): NodeIdentity {
  return { system: frame.system, incarnation: frame.incarnation, address: frame.address };
}

export interface ServerDone {
  readonly kind: 'done';
  readonly peer: NodeIdentity;
  /** The accept frame; the transport sends it once it decided to keep the connection. */
  readonly reply: string;
}

/**
 * The listening side: `challenge()` once, then exactly one `receive()`. States: new → awaiting-response →
 * done | failed. A frame received in any other state is a protocol violation (the peer spoke out of turn).
 */
export class ServerHandshake {
  private state: 'new' | 'awaiting-response' | 'done' | 'failed' = 'new';
  readonly nonce = newNonce();

  /** `secret` is empty when the cluster runs without one (loopback only). */
  constructor(
    private readonly local: NodeIdentity,
    private readonly secret: Buffer,
  ) {}

  challenge(): string {
    if (this.state !== 'new') throw new Error(`challenge() in state ${this.state}`);
    this.state = 'awaiting-response';
    const frame: ChallengeFrame = {
      type: 'challenge',
      v: PROTOCOL_VERSION,
      ...identityOf(this.local),
      nonce: this.nonce,
    };
    return JSON.stringify(frame);
  }

  receive(data: RawFrame, isBinary: boolean): ServerDone | HandshakeFailure {
    if (this.state !== 'awaiting-response') {
      this.state = 'failed';
      return violation('peer spoke out of turn');
    }
    const frame = parseFrame('response', data, isBinary);
    if (isFailure(frame)) return this.fail(frame);
    const peer = identityOf(frame);
    if (peer.system !== this.local.system) return this.fail(systemMismatch(this.local.system, peer));
    const expected = clientProof(this.secret, this.nonce, frame.nonce, peer);
    if (!proofsMatch(expected, frame.proof))
      return this.fail(authFailure('the peer did not prove the secret', peer));
    this.state = 'done';
    const accept: AcceptFrame = {
      type: 'accept',
      v: PROTOCOL_VERSION,
      proof: serverProof(this.secret, frame.nonce, this.nonce, this.local),
    };
    return { kind: 'done', peer, reply: JSON.stringify(accept) };
  }

  private fail(failure: HandshakeFailure): HandshakeFailure {
    this.state = 'failed';
    return failure;
  }
}

export interface ClientReply {
  readonly kind: 'reply';
  readonly frame: string;
}

export interface ClientDone {
  readonly kind: 'done';
  readonly peer: NodeIdentity;
}

/**
 * The dialling side: receives the challenge (answers with a response), then the accept. States:
 * awaiting-challenge → awaiting-accept → done | failed. It checks the system name before proving anything, so a
 * node never proves the secret to a member of another cluster.
 */
export class ClientHandshake {
  private state: 'awaiting-challenge' | 'awaiting-accept' | 'done' | 'failed' = 'awaiting-challenge';
  readonly nonce = newNonce();
  private serverNonce = '';
  /** Who the server claims to be, once its challenge arrived. */
  peer: NodeIdentity | undefined;

  /**
   * `dialled` is the address we dialled: the node there must call itself by it. Otherwise a node we dial could
   * relay another node's challenge and pass itself off as that node; and a node advertising another address
   * than the one it is dialled by would end up with two connections per pair.
   */
  constructor(
    private readonly local: NodeIdentity,
    private readonly secret: Buffer,
    private readonly dialled: string,
  ) {}

  receive(data: RawFrame, isBinary: boolean): ClientReply | ClientDone | HandshakeFailure {
    switch (this.state) {
      case 'awaiting-challenge':
        return this.onChallenge(data, isBinary);
      case 'awaiting-accept':
        return this.onAccept(data, isBinary);
      default:
        this.state = 'failed';
        return violation('peer spoke out of turn', this.peer);
    }
  }

  private onChallenge(data: RawFrame, isBinary: boolean): ClientReply | HandshakeFailure {
    const frame = parseFrame('challenge', data, isBinary);
    if (isFailure(frame)) return this.fail(frame);
    const peer = identityOf(frame);
    this.peer = peer;
    if (peer.system !== this.local.system) return this.fail(systemMismatch(this.local.system, peer));
    if (peer.address !== this.dialled) {
      return this.fail(authFailure(`dialled ${this.dialled}, but the node there is ${peer.address}`, peer));
    }
    this.serverNonce = frame.nonce;
    this.state = 'awaiting-accept';
    const response: ResponseFrame = {
      type: 'response',
      v: PROTOCOL_VERSION,
      ...identityOf(this.local),
      nonce: this.nonce,
      proof: clientProof(this.secret, frame.nonce, this.nonce, this.local),
    };
    return { kind: 'reply', frame: JSON.stringify(response) };
  }

  private onAccept(data: RawFrame, isBinary: boolean): ClientDone | HandshakeFailure {
    const frame = parseFrame('accept', data, isBinary);
    if (isFailure(frame)) return this.fail({ ...frame, peer: this.peer });
    const peer = this.peer!;
    const expected = serverProof(this.secret, this.nonce, this.serverNonce, peer);
    if (!proofsMatch(expected, frame.proof))
      return this.fail(authFailure('the peer did not prove the secret', peer));
    this.state = 'done';
    return { kind: 'done', peer };
  }

  private fail(failure: HandshakeFailure): HandshakeFailure {
    this.state = 'failed';
    return failure;
  }
}
