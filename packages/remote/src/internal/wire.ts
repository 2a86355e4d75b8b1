import { BaseRef } from '@troupe/core';
import { addExtension, Decoder, Encoder } from 'cbor-x';
import { MalformedMessageError } from '../RemoteError';

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

/** @internal How refs are written and read: as `[node address, path, incarnation]`. */
export interface RefCodec {
  write(ref: BaseRef): [string, string, string];
  read(node: string, path: string, incarnation: string): BaseRef;
}

/** A ref as decoded, before the receiving node turns it into a live ref. */
class RefToken {
  constructor(readonly data: unknown) {}
}

const REF_TAG = 40_001;
let writing: RefCodec | null = null;

addExtension<BaseRef, unknown>({
  Class: BaseRef as unknown as new () => BaseRef,
  tag: REF_TAG,
  encode(ref: BaseRef, encode: (data: unknown) => Uint8Array) {
    if (!writing) throw new MalformedMessageError('an actor ref can only be encoded by a remoting node');
    return encode(writing.write(ref));
  },
  // Decoded as a token; the receiving node turns it into a live ref while it validates the payload.
  decode: (data: unknown) => new RefToken(data) as unknown as BaseRef,
});

// Records and structured cloning off: plain CBOR that any peer can read. Maps decode as Map so that we, not the
// decoder, decide which keys may become object properties.
const encoder = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, pack: false });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });

/** @internal */
export function encodeEnvelope(env: Envelope, refs: RefCodec): Uint8Array {
  writing = refs;
  try {
    switch (env.kind) {
      case WireKind.User:
        return encoder.encode([env.kind, env.to, env.path, env.manifest, env.payload]);
      case WireKind.Watch:
      case WireKind.Unwatch:
      case WireKind.WatchAck:
        return encoder.encode([env.kind, env.to, env.watchee, env.watcher]);
      case WireKind.Death:
      case WireKind.DeathAck:
        return encoder.encode([env.kind, env.to, env.dead, env.watcher]);
      case WireKind.Heartbeat:
        return encoder.encode([env.kind]);
    }
  } finally {
    writing = null;
  }
}

const MAX_DEPTH = 64;
const MAX_PATH = 1024;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * @internal Decodes and validates one envelope from untrusted bytes; throws `MalformedMessageError` for
 * anything that is not exactly an envelope. Payload objects are rebuilt as plain objects, refusing keys that
 * could reach a prototype (`__proto__`, `constructor`, `prototype`).
 */
export function decodeEnvelope(bytes: Uint8Array, refs: RefCodec): Envelope {
  let raw: unknown;
  try {
    raw = decoder.decode(bytes);
  } catch (e) {
    throw new MalformedMessageError('not valid CBOR', e);
  }
  if (!Array.isArray(raw) || raw.length === 0) throw new MalformedMessageError('envelope is not an array');
  const kind = raw[0];
  switch (kind) {
    case WireKind.User:
      expectLength(raw, 5);
      return {
        kind,
        to: str(raw[1], 'incarnation', 64),
        path: path(raw[2]),
        manifest: str(raw[3], 'manifest', 256),
        payload: toPlain(raw[4], refs, 0, new Set()),
      };
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
 * `seen`: CBOR's value sharing (tags 28 and 29) lets a few hundred bytes name one value many times over, so that
 * a walk would expand it exponentially. Plain message data never shares values, so a value met twice is refused.
 */
function toPlain(v: unknown, refs: RefCodec, depth: number, seen: Set<object>): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (depth > MAX_DEPTH) throw new MalformedMessageError('nested too deeply');
  if (seen.has(v)) throw new MalformedMessageError('shared or cyclic values are not allowed');
  seen.add(v);
  if (Array.isArray(v)) return v.map((x) => toPlain(x, refs, depth + 1, seen));
  if (v instanceof Uint8Array) return v;
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v) {
      if (typeof k !== 'string') throw new MalformedMessageError('object keys must be strings');
      if (FORBIDDEN_KEYS.has(k)) throw new MalformedMessageError(`forbidden key ${k}`);
      out[k] = toPlain(x, refs, depth + 1, seen);
    }
    return out;
  }
  if (v instanceof RefToken) {
    const d = v.data;
    if (!Array.isArray(d) || d.length !== 3) throw new MalformedMessageError('malformed actor ref');
    return refs.read(str(d[0], 'ref address', 512), path(d[1]), str(d[2], 'ref incarnation', 64));
  }
  throw new MalformedMessageError(`unsupported value ${Object.prototype.toString.call(v)}`);
}
