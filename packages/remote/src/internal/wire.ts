import { BaseRef } from '@troupe/core';
import { addExtension, Decoder, Encoder } from 'cbor-x';
import { MalformedMessageError, UnregisteredMessageError } from '../RemoteError';

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

const REF_TAG = 40_001;
const MAX_DEPTH = 64;
const MAX_PATH = 1024;
const TWO_64 = 1n << 64n;

/** The node whose envelope is being encoded or decoded: cbor-x extensions are global, so they find it here. */
let writing: RefCodec | null = null;
let reading: RefCodec | null = null;

addExtension<BaseRef, unknown>({
  Class: BaseRef as unknown as new () => BaseRef,
  tag: REF_TAG,
  encode(ref: BaseRef, encode: (data: unknown) => Uint8Array) {
    if (!writing) throw new UnregisteredMessageError('an actor ref outside a remoting node');
    return encode(writing.write(ref));
  },
  // Straight to a live ref, so that the walk over the decoded payload only checks and never rebuilds it.
  decode(data: unknown): BaseRef {
    if (!reading) throw new MalformedMessageError('an actor ref can only be decoded by a remoting node');
    if (!Array.isArray(data)) throw new MalformedMessageError('malformed actor ref');
    if (data.length === 1) return reading.readOwn(path(data[0]));
    if (data.length !== 3) throw new MalformedMessageError('malformed actor ref');
    return reading.read(str(data[0], 'ref address', 512), path(data[1]), str(data[2], 'ref incarnation', 64));
  },
});

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

// Records and structured cloning off: plain CBOR that any peer can read.
const encoder = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, pack: false });
// Byte strings copied out: a view would keep a whole received frame alive for as long as the message is held.
const decoder = new SafeKeyDecoder({ useRecords: false, mapsAsObjects: true, keyMap: {}, copyBuffers: true });

/** cbor-x's encoding of `value`, with `refs` writing the refs inside it (cbor-x's extensions are global). */
function encodeWith(refs: RefCodec, value: unknown): Uint8Array {
  writing = refs;
  try {
    return encoder.encode(value);
  } finally {
    writing = null;
  }
}

/** @internal Plain CBOR that any peer can read: `[kind, ...fields]`, refs as tag 40001. */
export function encodeEnvelope(env: Envelope, refs: RefCodec): Uint8Array {
  switch (env.kind) {
    case WireKind.User:
      return encodeWith(refs, [env.kind, env.to, env.path, env.manifest, outgoing(env.payload, 0)]);
    case WireKind.Watch:
    case WireKind.Unwatch:
    case WireKind.WatchAck:
      return encodeWith(refs, [env.kind, env.to, env.watchee, env.watcher]);
    case WireKind.Death:
    case WireKind.DeathAck:
      return encodeWith(refs, [env.kind, env.to, env.dead, env.watcher]);
    case WireKind.Heartbeat:
      return encodeWith(refs, [env.kind]);
  }
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

/** Where a user envelope is put together from its kept head and its payload; grows as needed. */
let joined = new Uint8Array(16 * 1024);

/**
 * @internal `encodeEnvelope` of a user envelope, reusing the encoded head kept in `cache`: only the payload goes
 * through cbor-x, and the head is copied in front of it. With a kept head, the bytes are a view of a buffer the
 * next call overwrites: send them (the transport copies) or copy them before encoding again.
 */
export function encodeUser(
  to: string,
  path: string,
  manifest: string,
  payload: unknown,
  refs: RefCodec,
  cache: UserHeaderCache,
): Uint8Array {
  const head = cache.headerManifest === manifest ? cache.headerBytes : undefined;
  const plain = outgoing(payload, 0);
  if (head === undefined) {
    if (cache.headerManifest === manifest) {
      // The second message of this type to this recipient: keep the head. A 4-element array's head byte
      // (0x84) becomes that of the 5-element envelope (0x85); both are one byte.
      const h = Uint8Array.prototype.slice.call(encoder.encode([WireKind.User, to, path, manifest]));
      h[0] = 0x85;
      cache.headerBytes = h;
    } else {
      cache.headerManifest = manifest;
      cache.headerBytes = undefined;
    }
    return encodeWith(refs, [WireKind.User, to, path, manifest, plain]);
  }
  const body = encodeWith(refs, plain);
  const n = head.length + body.length;
  if (n > joined.length) joined = new Uint8Array(Math.max(n, joined.length * 2));
  joined.set(head, 0);
  joined.set(body, head.length);
  return joined.subarray(0, n);
}

/**
 * @internal A `UserElsewhere` envelope, encoded. The bytes are a view of cbor-x's buffer, which the next encoding
 * overwrites: copy them first.
 */
export function encodeUserElsewhere(path: string, payload: unknown, refs: RefCodec): Uint8Array {
  return encodeWith(refs, [WireKind.UserElsewhere, path, outgoing(payload, 0)]);
}

/** @internal The bytes a `UserAgain` envelope starts with (a 2-element array, kind 7); its payload follows. */
export const USER_AGAIN_HEAD: Uint8Array = Uint8Array.of(0x82, WireKind.UserAgain);

/**
 * @internal The payload of a `UserAgain` envelope, encoded: it goes after `USER_AGAIN_HEAD`. The bytes are a view
 * of cbor-x's buffer, which the next encoding overwrites: copy them first.
 */
export function encodePayload(payload: unknown, refs: RefCodec): Uint8Array {
  return encodeWith(refs, outgoing(payload, 0));
}

/**
 * What may leave in a message, checked before cbor-x sees it: cbor-x would send a `Date`, a `Set` or a typed
 * array as tags no node accepts, and cannot encode objects without a prototype. Returns `v` itself unless some
 * part of it has to change (a Map or an object without a prototype, sent as a plain object): then a copy.
 */
function outgoing(v: unknown, depth: number): unknown {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return v;
    case 'bigint':
      if (v >= TWO_64 || v <= -TWO_64) throw new UnregisteredMessageError('bigints beyond 64 bits');
      return v;
    case 'object':
      return v === null ? v : outgoingObject(v, depth);
    default:
      throw new UnregisteredMessageError(`values of type ${typeof v}`);
  }
}

function outgoingObject(v: object, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new UnregisteredMessageError(`values nested more than ${MAX_DEPTH} deep`);
  if (Array.isArray(v)) {
    const a = v as unknown[];
    let copy: unknown[] | undefined;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      const y = outgoing(x, depth + 1);
      if (copy === undefined && y !== x) copy = a.slice(0, i);
      if (copy !== undefined) copy.push(y);
    }
    return copy ?? v;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto === Object.prototype) return outgoingFields(v as Record<string, unknown>, depth, false);
  if (proto === null) return outgoingFields(v as Record<string, unknown>, depth, true);
  if (v instanceof Uint8Array || v instanceof BaseRef) return v;
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v as Map<unknown, unknown>) {
      if (typeof k !== 'string') throw new UnregisteredMessageError('maps with keys other than strings');
      setField(out, k, outgoing(x, depth + 1));
    }
    return out;
  }
  if (
    v instanceof Date ||
    v instanceof Set ||
    v instanceof RegExp ||
    v instanceof Error ||
    v instanceof Promise ||
    v instanceof WeakMap ||
    v instanceof WeakSet ||
    v instanceof ArrayBuffer ||
    ArrayBuffer.isView(v)
  ) {
    throw new UnregisteredMessageError(`values of class ${v.constructor.name}`);
  }
  // Any other class instance goes as its own enumerable fields, as cbor-x would send it.
  return outgoingFields(v as Record<string, unknown>, depth, true);
}

/** A plain object's (or any object's own enumerable) fields; `copy`: always as a fresh plain object. */
function outgoingFields(v: Record<string, unknown>, depth: number, copy: boolean): unknown {
  let out: Record<string, unknown> | undefined;
  if (copy) out = {};
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    const x = v[k];
    const y = outgoing(x, depth + 1);
    if (out === undefined && y !== x) {
      out = {};
      // The fields before this one, unchanged.
      for (const j in v) {
        if (j === k) break;
        if (Object.hasOwn(v, j)) setField(out, j, v[j]);
      }
    }
    if (out !== undefined) setField(out, k, y);
  }
  return out ?? v;
}

/** A key named `__proto__` stays a key (and the receiver refuses it), rather than replacing the prototype. */
function setField(out: Record<string, unknown>, k: string, x: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
  else out[k] = x;
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
