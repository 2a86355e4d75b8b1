import type { BaseRef } from '@troupe/core';
import { MalformedMessageError } from '../RemoteError';
import { MAX_DEPTH, REF_TAG } from './CborWriter';

/** How refs inside a message are made: `[path]` is a ref to the sender's own actor (see `RefCodec`). */
export interface RefReader {
  read(node: string, path: string, incarnation: string): BaseRef;
  readOwn(path: string): BaseRef;
}

const MAX_PATH = 1024;
/** A head's argument that does not fit 32 bits (lengths that long cannot be in any message). */
const HUGE = Number.MAX_SAFE_INTEGER;
/** Argument `31`: an indefinite length. */
const INDEFINITE = -1;
const BREAK = 0xff;
const EMPTY = Buffer.alloc(0);

/**
 * Strings of up to `CACHED_STRING` bytes, by their bytes, in a direct-mapped table (see `CborReader.text`):
 * `cachedLengths[slot]` bytes at `cachedBytes[slot * CACHED_STRING]` read as `cachedStrings[slot]`.
 */
const CACHED_STRING = 24;
const CACHE_SLOTS = 1024;
const cachedStrings: (string | undefined)[] = new Array<string | undefined>(CACHE_SLOTS).fill(undefined);
const cachedLengths = new Uint8Array(CACHE_SLOTS);
const cachedBytes = new Uint8Array(CACHE_SLOTS * CACHED_STRING);

/**
 * Node's Buffer methods behind `toString(encoding, start, end)`, without its encoding look-up (a third of the
 * cost of a short string); there since Node's first versions, not in its typings.
 */
type FastSlices = Buffer & {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
};

/** Big-endian floats are read through this, rather than a DataView made for each message. */
const scratch = new DataView(new ArrayBuffer(8));

/**
 * @internal Reads one transport message, untrusted, as CBOR, item by item: the envelope code (wire.ts) asks for
 * the head fields it expects, and `value` reads a payload as plain data. Whatever is not plain data is refused
 * with `MalformedMessageError` where it is met, in one pass and before anything is built from it:
 *
 * - tags other than a ref (40001), so no date, set, bignum, typed array or class instance, and no shared value
 *   (tags 28 and 29, which let a few hundred bytes name one value exponentially often);
 * - map keys other than text strings, and the keys `__proto__`, `constructor` and `prototype` (refused, not
 *   renamed: renaming silently changes the data);
 * - simple values other than false, true, null and undefined, a break outside an indefinite-length item, and
 *   indefinite-length strings;
 * - nesting deeper than `MAX_DEPTH`, and any length longer than what is left of the message (checked before
 *   anything is allocated for it).
 *
 * Numbers come back as a CBOR decoder gives them (cbor-x, which the tests compare against): integers with a
 * 64-bit head as bigints, every other integer and float as a number; byte strings are copied out (a view would
 * keep the whole received frame alive); indefinite-length arrays and maps are read as any decoder does.
 *
 * Why not cbor-x's decoder, which the node used until 2026-12: its answer still had to be walked (for the classes
 * its tags make, and for shared values), it needed process-wide extensions (for refs, and to keep bignums from
 * decoding in quadratic time) that changed cbor-x for every other user in the process, and on a round trip the
 * message's path runs cold after each idle wait, so its cost tracks how much code a message touches.
 */
export class CborReader {
  private src: Buffer = EMPTY;
  private pos = 0;
  private end = 0;
  private refs: RefReader | undefined = undefined;

  /** Starts reading `bytes` (not copied: they must not change until the reading is done). */
  begin(bytes: Uint8Array, refs: RefReader): void {
    this.src = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    this.end = bytes.byteLength;
    this.refs = refs;
  }

  /** Lets go of the message and of the node reading it. */
  done(): void {
    this.src = EMPTY;
    this.refs = undefined;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** The length of a definite-length array; throws with `what` for anything else. */
  arrayHead(what: string): number {
    const b = this.byte();
    if (b >> 5 !== 4 || (b & 31) === 31) throw new MalformedMessageError(`${what} is not an array`);
    return this.itemCount(this.argument(b & 31), 1);
  }

  /** A small unsigned integer (below 24, in one byte), or -1 for anything else. */
  smallUint(): number {
    if (this.pos >= this.end) this.truncated();
    const b = this.src[this.pos]!;
    if (b >= 24) return -1;
    this.pos++;
    return b;
  }

  /** A text string of at most `max` characters; throws with `what` for anything else. */
  string(what: string, max: number): string {
    const n = this.textHead();
    // UTF-8 takes at least a byte per UTF-16 unit, so the string is no shorter than n / 3 units.
    if (n < 0 || n > max * 3) throw new MalformedMessageError(`${what} is not a string of at most ${max}`);
    const s = this.text(n);
    if (s.length > max) throw new MalformedMessageError(`${what} is not a string of at most ${max}`);
    return s;
  }

  /** An actor path: a string starting with `/`, of at most 1024 characters. */
  path(): string {
    const p = this.string('path', MAX_PATH);
    if (p.charCodeAt(0) !== 0x2f) throw new MalformedMessageError('path does not start with /');
    return p;
  }

  /** One data item as plain data (see the class comment); `depth`: how many containers it is inside. */
  value(depth: number): unknown {
    const b = this.byte();
    const ai = b & 31;
    switch (b >> 5) {
      case 0:
        if (ai === 27) return this.big();
        return this.integer(ai);
      case 1:
        if (ai === 27) return -1n - this.big();
        return -1 - this.integer(ai);
      case 2: {
        if (ai === 31) throw new MalformedMessageError('indefinite-length byte strings are not allowed');
        const n = this.itemCount(this.argument(ai), 1);
        const start = this.pos;
        this.pos += n;
        return Uint8Array.prototype.slice.call(this.src, start, this.pos);
      }
      case 3:
        if (ai === 31) throw new MalformedMessageError('indefinite-length strings are not allowed');
        return this.text(this.argument(ai));
      case 4:
        return this.array(ai, depth);
      case 5:
        return this.map(ai, depth);
      case 6:
        if (this.argument(ai) !== REF_TAG)
          throw new MalformedMessageError('tags other than actor refs are not allowed');
        return this.ref();
      default:
        return this.simple(ai);
    }
  }

  private array(ai: number, depth: number): unknown[] {
    if (depth > MAX_DEPTH) throw new MalformedMessageError('nested too deeply');
    if (ai === 31) {
      const a: unknown[] = [];
      while (!this.isBreak()) a.push(this.value(depth + 1));
      return a;
    }
    const n = this.itemCount(this.argument(ai), 1);
    const a = new Array<unknown>(n);
    for (let i = 0; i < n; i++) a[i] = this.value(depth + 1);
    return a;
  }

  /** A map, as a plain object: keys are strings and none could reach a prototype. */
  private map(ai: number, depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) throw new MalformedMessageError('nested too deeply');
    const o: Record<string, unknown> = {};
    if (ai === 31) {
      while (!this.isBreak()) o[this.key()] = this.value(depth + 1);
      return o;
    }
    const n = this.itemCount(this.argument(ai), 2);
    for (let i = 0; i < n; i++) o[this.key()] = this.value(depth + 1);
    return o;
  }

  private key(): string {
    const n = this.textHead();
    if (n < 0) throw new MalformedMessageError('object keys must be strings');
    const k = this.text(n);
    if (k === '__proto__' || k === 'constructor' || k === 'prototype')
      throw new MalformedMessageError(`forbidden key ${k}`);
    return k;
  }

  /** Tag 40001's content: `[path]` for the sender's own actor, `[node address, path, incarnation]` for any. */
  private ref(): BaseRef {
    const n = this.arrayHead('an actor ref');
    const refs = this.refs!;
    if (n === 1) return refs.readOwn(this.path());
    if (n !== 3) throw new MalformedMessageError('malformed actor ref');
    const node = this.string('ref address', 512);
    const path = this.path();
    return refs.read(node, path, this.string('ref incarnation', 64));
  }

  private simple(ai: number): unknown {
    switch (ai) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 23:
        return undefined;
      case 25: {
        this.need(2);
        const bits = (this.src[this.pos]! << 8) | this.src[this.pos + 1]!;
        this.pos += 2;
        return half(bits);
      }
      case 26:
        this.copyToScratch(4);
        return scratch.getFloat32(0);
      case 27:
        this.copyToScratch(8);
        return scratch.getFloat64(0);
      case 31:
        throw new MalformedMessageError('a break outside an indefinite-length item');
      default:
        throw new MalformedMessageError(
          'simple values other than false, true, null and undefined are not allowed',
        );
    }
  }

  /** An integer head's argument below 2^32 (a 64-bit one is read by `big`). */
  private integer(ai: number): number {
    if (ai === 31) throw new MalformedMessageError('an integer of indefinite length');
    return this.argument(ai);
  }

  /** A 64-bit head's argument, as a bigint (as cbor-x reads it). */
  private big(): bigint {
    this.need(8);
    const hi = this.src.readUInt32BE(this.pos);
    const lo = this.src.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** The byte length of the definite-length text string that comes next, or -1 (nothing read) for anything else. */
  private textHead(): number {
    if (this.pos >= this.end) this.truncated();
    const b = this.src[this.pos]!;
    if (b >> 5 !== 3 || (b & 31) === 31) return -1;
    this.pos++;
    return this.argument(b & 31);
  }

  /** UTF-8 text of `n` bytes (lone surrogates and bad sequences become U+FFFD, as in any UTF-8 decoder). */
  private text(n: number): string {
    if (n > this.end - this.pos) this.truncated();
    const src = this.src as FastSlices;
    const start = this.pos;
    const stop = start + n;
    this.pos = stop;
    if (n > CACHED_STRING) return src.utf8Slice(start, stop);
    // Short strings recur (keys, types, paths, manifests): the same bytes give the same string object, which
    // also spares V8 internalizing a fresh copy of a key at every property store.
    let hash = n;
    let high = 0;
    for (let i = start; i < stop; i++) {
      const c = src[i]!;
      hash = (Math.imul(hash, 31) + c) | 0;
      high |= c;
    }
    const slot = (hash ^ (hash >>> 15)) & (CACHE_SLOTS - 1);
    const at = slot * CACHED_STRING;
    const cached = cachedStrings[slot];
    if (cached !== undefined && cachedLengths[slot] === n) {
      let i = 0;
      while (i < n && cachedBytes[at + i] === src[start + i]) i++;
      if (i === n) return cached;
    }
    const s = high < 0x80 ? src.latin1Slice(start, stop) : src.utf8Slice(start, stop);
    cachedStrings[slot] = s;
    cachedLengths[slot] = n;
    for (let i = 0; i < n; i++) cachedBytes[at + i] = src[start + i]!;
    return s;
  }

  /**
   * The argument of a head with additional information `ai`: a number below 2^32, `HUGE` for a 64-bit one that
   * is not, `INDEFINITE` for 31. Reserved values (28 to 30) are refused.
   */
  private argument(ai: number): number {
    if (ai < 24) return ai;
    const src = this.src;
    switch (ai) {
      case 24:
        this.need(1);
        return src[this.pos++]!;
      case 25:
        this.need(2);
        this.pos += 2;
        return (src[this.pos - 2]! << 8) | src[this.pos - 1]!;
      case 26:
        this.need(4);
        this.pos += 4;
        return src.readUInt32BE(this.pos - 4);
      case 27: {
        this.need(8);
        const hi = src.readUInt32BE(this.pos);
        const lo = src.readUInt32BE(this.pos + 4);
        this.pos += 8;
        return hi === 0 ? lo : HUGE;
      }
      case 31:
        return INDEFINITE;
      default:
        throw new MalformedMessageError('reserved head');
    }
  }

  /** `n` items of at least `bytesEach` bytes: refused unless that many bytes are left (before any allocation). */
  private itemCount(n: number, bytesEach: number): number {
    if (n * bytesEach > this.end - this.pos) this.truncated();
    return n;
  }

  /** Whether the next byte is a break (and if so, reads it). */
  private isBreak(): boolean {
    if (this.pos >= this.end) this.truncated();
    if (this.src[this.pos] !== BREAK) return false;
    this.pos++;
    return true;
  }

  private byte(): number {
    if (this.pos >= this.end) this.truncated();
    return this.src[this.pos++]!;
  }

  private need(n: number): void {
    if (n > this.end - this.pos) this.truncated();
  }

  private copyToScratch(n: number): void {
    this.need(n);
    for (let i = 0; i < n; i++) scratch.setUint8(i, this.src[this.pos + i]!);
    this.pos += n;
  }

  private truncated(): never {
    throw new MalformedMessageError('truncated CBOR, or a length longer than the message');
  }
}

/** A half-precision float (IEEE 754 binary16). */
function half(h: number): number {
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  const magnitude =
    exponent === 0
      ? fraction * 2 ** -24
      : exponent === 31
        ? fraction === 0
          ? Infinity
          : NaN
        : (fraction + 1024) * 2 ** (exponent - 25);
  return h & 0x8000 ? -magnitude : magnitude;
}
