import { BaseRef } from '@troupe/core';
import { addExtension, Decoder } from 'cbor-x';
import { MalformedMessageError, UnregisteredMessageError } from '../RemoteError';
import { CborWriter, MAX_DEPTH, REF_TAG } from './CborWriter';

/** @internal Envelope kinds on the wire. */
export enum WireKind {
  User = 0,
  Watch = 1,
  Unwatch = 2,
  Death = 3,
  Heartbeat = 4,
  /** Acknowledges a Watch: watch and death notices are redelivered until acknowledged, and handled idempotently. */
  WatchAck = 5,
  DeathAck = 6,
  /**
   * `[7, payload]`: a user envelope for the same incarnation, path and manifest as the user envelope before it in
   * the same transport message. Only ever refers back within one message, so a dropped, duplicated or reordered
   * message can never make it name the wrong recipient.
   */
  UserAgain = 7,
  /**
   * `[8, path, payload]`: a user envelope for the same incarnation and manifest as the user envelope before it in
   * the same transport message, to another path: the replies of one turn to many asks of one node. Scoped to one
   * message as `UserAgain` is.
   */
  UserElsewhere = 8,
}

/**
 * @internal One envelope. `to` is the incarnation the sender meant ('' for whichever is there): a message for
 * an earlier incarnation of this node is a dead letter, never a delivery.
 */
export type Envelope =
  | { kind: WireKind.User; to: string; path: string; manifest: string; payload: unknown }
  | {
      kind: WireKind.Watch | WireKind.Unwatch | WireKind.WatchAck;
      to: string;
      watchee: string;
      watcher: string;
    }
  | { kind: WireKind.Death | WireKind.DeathAck; to: string; dead: string; watcher: string }
  | { kind: WireKind.Heartbeat };

/**
 * @internal How refs are written and read. A ref to an actor of the sending node goes as `[path]`: the receiver
 * knows which node (and incarnation) the message came from, so the address and incarnation (some fifty
 * characters, in nearly every request's reply-to ref) need not travel. Any other ref goes as
 * `[node address, path, incarnation]`.
 */
export interface RefCodec {
  write(ref: BaseRef): [string] | [string, string, string];
  read(node: string, path: string, incarnation: string): BaseRef;
  /** A ref to an actor of the node whose message is being decoded. */
  readOwn(path: string): BaseRef;
}

const MAX_PATH = 1024;

/**
 * The node whose envelope is being encoded or decoded: the writer's ref callback and cbor-x's extensions (which
 * are global) find it here.
 */
let writing: RefCodec | null = null;
let reading: RefCodec | null = null;

// Decoding only: `CborWriter` writes refs.
addExtension({
  tag: REF_TAG,
  // Straight to a live ref, so that the walk over the decoded payload only checks and never rebuilds it.
  decode(data: unknown): BaseRef {
    if (!reading) throw new MalformedMessageError('an actor ref can only be decoded by a remoting node');
    if (!Array.isArray(data)) throw new MalformedMessageError('malformed actor ref');
    if (data.length === 1) return reading.readOwn(path(data[0]));
    if (data.length !== 3) throw new MalformedMessageError('malformed actor ref');
    return reading.read(str(data[0], 'ref address', 512), path(data[1]), str(data[2], 'ref incarnation', 64));
  },
} as Parameters<typeof addExtension>[0]);

/**
 * cbor-x decodes bignums (tags 2 and 3) a byte at a time on an ever longer bigint: quadratic, a second of
 * blocked event loop for one 60 kB frame. A node refuses them (bigints up to 64 bits travel as plain integers);
 * any other cbor-x decoding in the process gets the same value as before, in linear time.
 */
function bignum(negative: boolean): (bytes: Uint8Array) => bigint {
  return (bytes) => {
    if (reading) throw new MalformedMessageError('bignums are not allowed');
    const n = bytes.byteLength === 0 ? 0n : BigInt('0x' + Buffer.from(bytes).toString('hex'));
    return negative ? -1n - n : n;
  };
}
addExtension({ tag: 2, decode: bignum(false) } as Parameters<typeof addExtension>[0]);
addExtension({ tag: 3, decode: bignum(true) } as Parameters<typeof addExtension>[0]);

/**
 * Maps decode as plain objects, every key through `decodeKey` first (cbor-x calls it for each map key, and for
 * each field of a record, once a `keyMap` is set; an empty one maps nothing). A key that could reach a prototype
 * refuses the whole message there: cbor-x's own guard would rename `__proto__` to `__proto_`, which silently
 * changes the data, and keys other than strings would silently become strings.
 */
class SafeKeyDecoder extends Decoder {
  decodeKey(key: unknown): string {
    if (typeof key !== 'string') throw new MalformedMessageError('object keys must be strings');
    if (key === '__proto__' || key === 'constructor' || key === 'prototype')
      throw new MalformedMessageError(`forbidden key ${key}`);
    return key;
  }
}

// Byte strings copied out: a view would keep a whole received frame alive for as long as the message is held.
const decoder = new SafeKeyDecoder({ useRecords: false, mapsAsObjects: true, keyMap: {}, copyBuffers: true });

/** Writes every envelope a node sends (see `CborWriter` for why not cbor-x's encoder). */
const writer = new CborWriter((ref) => {
  if (!writing) throw new UnregisteredMessageError('an actor ref outside a remoting node');
  return writing.write(ref);
});

/** Starts an encoding for `refs`' node; the caller clears `writing` once done, thrown or not. */
function begin(refs: RefCodec): void {
  writing = refs;
  writer.start();
}

/**
 * @internal Plain CBOR that any peer can read: `[kind, ...fields]`, refs as tag 40001. The bytes are a view of a
 * buffer the next encoding overwrites: send them (the transport copies) or copy them first.
 */
export function encodeEnvelope(env: Envelope, refs: RefCodec): Uint8Array {
  begin(refs);
  try {
    switch (env.kind) {
      case WireKind.User:
        writeUserHead(env.to, env.path, env.manifest);
        writer.value(env.payload, 0);
        break;
      case WireKind.Watch:
      case WireKind.Unwatch:
      case WireKind.WatchAck:
        writeStrings(env.kind, env.to, env.watchee, env.watcher);
        break;
      case WireKind.Death:
      case WireKind.DeathAck:
        writeStrings(env.kind, env.to, env.dead, env.watcher);
        break;
      case WireKind.Heartbeat:
        writer.arrayHead(1);
        writer.value(env.kind, 0);
        break;
    }
    return writer.bytes();
  } finally {
    writing = null;
  }
}

/** `[kind, a, b, c]`: a watch or death notice, or its acknowledgement. */
function writeStrings(kind: WireKind, a: string, b: string, c: string): void {
  writer.arrayHead(4);
  writer.value(kind, 0);
  writer.string(a);
  writer.string(b);
  writer.string(c);
}

/** `[0, to, path, manifest, ` of a user envelope: everything but its payload. */
function writeUserHead(to: string, path: string, manifest: string): void {
  writer.arrayHead(5);
  writer.value(WireKind.User, 0);
  writer.string(to);
  writer.string(path);
  writer.string(manifest);
}

/**
 * @internal Where the encoded head of user envelopes to one recipient is kept: `[0, to, path, manifest` is the
 * same for every message of one type to one actor. Kept once the same manifest goes out twice in a row, so a
 * one-off recipient (an ask's reply ref) costs no copy, and alternating types never churn.
 */
export interface UserHeaderCache {
  headerManifest: string | undefined;
  headerBytes: Uint8Array | undefined;
}

/**
 * @internal `encodeEnvelope` of a user envelope, reusing the encoded head kept in `cache`: only the payload is
 * written, behind a copy of the head. The bytes are a view of a buffer the next encoding overwrites: send them
 * (the transport copies) or copy them before encoding again.
 */
export function encodeUser(
  to: string,
  path: string,
  manifest: string,
  payload: unknown,
  refs: RefCodec,
  cache: UserHeaderCache,
): Uint8Array {
  begin(refs);
  try {
    const head = cache.headerManifest === manifest ? cache.headerBytes : undefined;
    if (head !== undefined) {
      writer.raw(head);
    } else {
      writeUserHead(to, path, manifest);
      if (cache.headerManifest === manifest) {
        // The second message of this type to this recipient: keep the head.
        cache.headerBytes = Uint8Array.prototype.slice.call(writer.bytes());
      } else {
        cache.headerManifest = manifest;
        cache.headerBytes = undefined;
      }
    }
    writer.value(payload, 0);
    return writer.bytes();
  } finally {
    writing = null;
  }
}

/**
 * @internal A `UserElsewhere` envelope, encoded. The bytes are a view of a buffer the next encoding overwrites:
 * copy them first.
 */
export function encodeUserElsewhere(path: string, payload: unknown, refs: RefCodec): Uint8Array {
  begin(refs);
  try {
    writer.arrayHead(3);
    writer.value(WireKind.UserElsewhere, 0);
    writer.string(path);
    writer.value(payload, 0);
    return writer.bytes();
  } finally {
    writing = null;
  }
}

/** @internal The bytes a `UserAgain` envelope starts with (a 2-element array, kind 7); its payload follows. */
export const USER_AGAIN_HEAD: Uint8Array = Uint8Array.of(0x82, WireKind.UserAgain);

/**
 * @internal The payload of a `UserAgain` envelope, encoded: it goes after `USER_AGAIN_HEAD`. The bytes are a view
 * of a buffer the next encoding overwrites: copy them first.
 */
export function encodePayload(payload: unknown, refs: RefCodec): Uint8Array {
  begin(refs);
  try {
    writer.value(payload, 0);
    return writer.bytes();
  } finally {
    writing = null;
  }
}

/**
 * @internal Decodes and validates one transport message: a CBOR sequence of envelopes (one or more, as the
 * sender batched them), from untrusted bytes. Calls `each` with every envelope in order, `UserAgain` and
 * `UserElsewhere` ones expanded, and stops early when `each` returns false. Throws `MalformedMessageError` at the
 * first envelope that is not exactly an envelope: the ones before it were handled; nothing after it is trusted.
 * Payload objects are plain objects (no key that could reach a prototype: `__proto__`, `constructor`,
 * `prototype`), and refs are live refs.
 *
 * One cbor-x call for the whole message: cbor-x's set-up per call (and its native string extraction, which
 * reads ahead over the strings of many envelopes at once) costs more than decoding a small envelope.
 */
export function decodeEnvelopes(bytes: Uint8Array, refs: RefCodec, each: (env: Envelope) => boolean): void {
  let head: Extract<Envelope, { kind: WireKind.User }> | undefined;
  let handlerError: { error: unknown } | undefined;
  const previous = reading;
  reading = refs;
  try {
    decoder.decodeMultiple(bytes, (raw: unknown) => {
      const env = envelopeOf(raw, head);
      if (env.kind === WireKind.User) head = env;
      try {
        return each(env);
      } catch (error) {
        // Not the peer's fault: out of the decoder as it is, never reported as a malformed message.
        handlerError = { error };
        return false;
      }
    });
  } catch (e) {
    if (e instanceof MalformedMessageError) throw e;
    // cbor-x's own errors, a RangeError from deep nesting, or whatever a ref reader threw: still a bad message.
    throw new MalformedMessageError('not valid CBOR', e);
  } finally {
    reading = previous;
  }
  if (handlerError) throw handlerError.error;
}

/** What cbor-x decoded for one envelope, checked; `head`: the user envelope before it in the same message. */
function envelopeOf(raw: unknown, head: Extract<Envelope, { kind: WireKind.User }> | undefined): Envelope {
  if (!Array.isArray(raw) || raw.length === 0) throw new MalformedMessageError('envelope is not an array');
  const kind = raw[0] as unknown;
  switch (kind) {
    case WireKind.UserAgain:
    case WireKind.UserElsewhere: {
      // `[7, payload]` or `[8, path, payload]`: the rest of the head is the user envelope's before it.
      const again = kind === WireKind.UserAgain;
      expectLength(raw, again ? 2 : 3);
      if (!head)
        throw new MalformedMessageError('a user envelope with no user envelope before it to refer to');
      const p = again ? head.path : path(raw[1]);
      const payload = raw[raw.length - 1];
      checkPayload(payload);
      return { kind: WireKind.User, to: head.to, path: p, manifest: head.manifest, payload };
    }
    case WireKind.User: {
      expectLength(raw, 5);
      const to = str(raw[1], 'incarnation', 64);
      const p = path(raw[2]);
      const manifest = str(raw[3], 'manifest', 256);
      const payload = raw[4];
      checkPayload(payload);
      return { kind, to, path: p, manifest, payload };
    }
    case WireKind.Watch:
    case WireKind.Unwatch:
    case WireKind.WatchAck:
      expectLength(raw, 4);
      return { kind, to: str(raw[1], 'incarnation', 64), watchee: path(raw[2]), watcher: path(raw[3]) };
    case WireKind.Death:
    case WireKind.DeathAck:
      expectLength(raw, 4);
      return { kind, to: str(raw[1], 'incarnation', 64), dead: path(raw[2]), watcher: path(raw[3]) };
    case WireKind.Heartbeat:
      expectLength(raw, 1);
      return { kind };
    default:
      throw new MalformedMessageError('unknown envelope kind');
  }
}

function expectLength(raw: unknown[], n: number): void {
  if (raw.length !== n)
    throw new MalformedMessageError(`envelope of kind ${String(raw[0])} must have ${n} fields`);
}

function str(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v.length > max)
    throw new MalformedMessageError(`${what} is not a string of at most ${max}`);
  return v;
}

function path(v: unknown): string {
  const p = str(v, 'path', MAX_PATH);
  if (!p.startsWith('/')) throw new MalformedMessageError('path does not start with /');
  return p;
}

/**
 * Objects and arrays met so far in the payload being checked. CBOR's value sharing (tags 28 and 29) lets a few
 * hundred bytes name one value many times over, so that any walk would expand it exponentially; cbor-x decodes
 * them, so a value met twice is refused here. Kept across calls (and emptied after each) to spare an allocation,
 * and only used from the second object on: most payloads are one object.
 */
const seen = new Set<object>();
let first: object | undefined;

function checkPayload(payload: unknown): void {
  if (typeof payload !== 'object' || payload === null) return;
  try {
    check(payload, 0);
  } finally {
    first = undefined;
    if (seen.size !== 0) seen.clear();
  }
}

/**
 * What cbor-x decoded, checked to be plain data: arrays, plain objects (their keys were checked as they were
 * read), byte strings, refs and primitives. Anything else came from a CBOR tag (a date, a set, a regexp, an
 * error, a typed array, an unknown tag) and is refused, as is nesting beyond `MAX_DEPTH`.
 */
function check(v: object, depth: number): void {
  if (v instanceof BaseRef) return; // A ref arriving twice may well be the same (canonical) object.
  if (depth > MAX_DEPTH) throw new MalformedMessageError('nested too deeply');
  if (first === undefined) first = v;
  else {
    if (seen.size === 0) seen.add(first);
    if (seen.has(v)) throw new MalformedMessageError('shared or cyclic values are not allowed');
    seen.add(v);
  }
  if (Array.isArray(v)) {
    const a = v as unknown[];
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (typeof x === 'object' && x !== null) check(x, depth + 1);
    }
    return;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto === Object.prototype) {
    const o = v as Record<string, unknown>;
    for (const k in o) {
      const x = o[k];
      if (typeof x === 'object' && x !== null) check(x, depth + 1);
    }
    return;
  }
  if (proto === Buffer.prototype || proto === Uint8Array.prototype) return;
  throw new MalformedMessageError(`unsupported value ${Object.prototype.toString.call(v)}`);
}
