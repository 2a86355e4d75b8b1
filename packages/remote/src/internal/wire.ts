import { BaseRef } from '@troupe/core';
import { MalformedMessageError, UnregisteredMessageError } from '../RemoteError';
import { CborReader, type RefReader } from './CborReader';
import { CborWriter } from './CborWriter';

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
export interface RefCodec extends RefReader {
  write(ref: BaseRef): [string] | [string, string, string];
}

/** The node whose envelope is being encoded: the writer's ref callback finds it here. */
let writing: RefCodec | null = null;

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

/** The reader a decoding takes; a decoding started by a handler of another one makes its own. */
let idleReader: CborReader | undefined = new CborReader();

/**
 * @internal Decodes and validates one transport message: a CBOR sequence of envelopes (one or more, as the
 * sender batched them), from untrusted bytes. Calls `each` with every envelope in order, `UserAgain` and
 * `UserElsewhere` ones expanded, and stops early when `each` returns false. Throws `MalformedMessageError` at the
 * first envelope that is not exactly an envelope: the ones before it were handled; nothing after it is trusted.
 * Payloads are plain data (see `CborReader`: plain objects with no key that could reach a prototype, arrays,
 * strings, numbers, byte strings), and refs are live refs. An error thrown by `each` goes out as it is.
 */
export function decodeEnvelopes(bytes: Uint8Array, refs: RefCodec, each: (env: Envelope) => boolean): void {
  if (bytes.byteLength === 0) throw new MalformedMessageError('an empty message');
  const reader = idleReader ?? new CborReader();
  idleReader = undefined;
  reader.begin(bytes, refs);
  let head: Extract<Envelope, { kind: WireKind.User }> | undefined;
  try {
    while (!reader.atEnd) {
      let env: Envelope;
      try {
        env = readEnvelope(reader, head);
      } catch (e) {
        if (e instanceof MalformedMessageError) throw e;
        // Whatever a ref reader threw while reading the peer's bytes: still a bad message.
        throw new MalformedMessageError('not valid CBOR', e);
      }
      if (env.kind === WireKind.User) head = env;
      if (!each(env)) return;
    }
  } finally {
    reader.done();
    idleReader = reader;
  }
}

/** The next envelope of the message; `head`: the user envelope before it in the same message. */
function readEnvelope(r: CborReader, head: Extract<Envelope, { kind: WireKind.User }> | undefined): Envelope {
  const n = r.arrayHead('envelope');
  const kind = n === 0 ? -1 : r.smallUint();
  switch (kind) {
    case WireKind.UserAgain:
    case WireKind.UserElsewhere: {
      // `[7, payload]` or `[8, path, payload]`: the rest of the head is the user envelope's before it.
      const again = kind === WireKind.UserAgain;
      expectLength(kind, n, again ? 2 : 3);
      if (!head)
        throw new MalformedMessageError('a user envelope with no user envelope before it to refer to');
      const p = again ? head.path : r.path();
      return { kind: WireKind.User, to: head.to, path: p, manifest: head.manifest, payload: r.value(0) };
    }
    case WireKind.User: {
      expectLength(kind, n, 5);
      const to = r.string('incarnation', 64);
      const p = r.path();
      const manifest = r.string('manifest', 256);
      return { kind, to, path: p, manifest, payload: r.value(0) };
    }
    case WireKind.Watch:
    case WireKind.Unwatch:
    case WireKind.WatchAck: {
      expectLength(kind, n, 4);
      const to = r.string('incarnation', 64);
      const watchee = r.path();
      return { kind, to, watchee, watcher: r.path() };
    }
    case WireKind.Death:
    case WireKind.DeathAck: {
      expectLength(kind, n, 4);
      const to = r.string('incarnation', 64);
      const dead = r.path();
      return { kind, to, dead, watcher: r.path() };
    }
    case WireKind.Heartbeat:
      expectLength(kind, n, 1);
      return { kind };
    default:
      throw new MalformedMessageError('unknown envelope kind');
  }
}

function expectLength(kind: WireKind, length: number, n: number): void {
  if (length !== n) throw new MalformedMessageError(`envelope of kind ${kind} must have ${n} fields`);
}
