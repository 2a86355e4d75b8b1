import { BaseRef } from '@troupe/core';
import { UnregisteredMessageError } from '../RemoteError';

/** @internal CBOR's tag for an actor ref (see `RefCodec`). */
export const REF_TAG = 40_001;
/** @internal How deep a value may nest, on the way out and on the way in. */
export const MAX_DEPTH = 64;

const TWO_64 = 1n << 64n;
/** Strings shorter than this are written by a loop here; longer ones by Buffer's UTF-8 writer. */
const SHORT_STRING = 64;
/** An object whose fields take more than this keeps a 5-byte head rather than move them back. */
const COMPACT_BYTES = 512;
/** A buffer that grew past this for one large message is let go after it, rather than kept for ever. */
const KEEP_BYTES = 256 * 1024;

/**
 * @internal Writes a message as CBOR in one pass over it, checking as it goes that every part has a plain form
 * (what `UnregisteredMessageError` refuses): plain objects and arrays, strings, numbers, booleans, null,
 * undefined, bigints of up to 64 bits, byte strings, and refs (tag 40001, written by `writeRef`). Maps with
 * string keys and objects without a prototype go as plain objects, as do instances of other classes (their own
 * enumerable fields, as cbor-x would send them); dates, sets, regexps, errors, promises and typed arrays other
 * than bytes have no plain form anyone could read, and are refused.
 *
 * Why not cbor-x's encoder (see `CborReader` for its decoder): a message was walked twice (once to check it,
 * once by cbor-x), and cbor-x's array loop, once it has met an array of small integers (any list of ids), boxes
 * every element of every array it writes after that: about 50 bytes of garbage per element, the largest
 * allocation of a cache coordinator. The bytes are the same CBOR: numbers as cbor-x writes them (integers up to
 * 32 bits in their shortest head, any other number as a 64-bit float), strings as UTF-8.
 *
 * The bytes a write returns are a view of the writer's buffer, which the next write overwrites: copy them first.
 */
export class CborWriter {
  private buffer: Buffer = Buffer.allocUnsafeSlow(16 * 1024);
  private view: DataView = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  private position = 0;

  constructor(private readonly writeRef: (ref: BaseRef) => readonly string[]) {}

  /** Starts a new encoding; what the last one returned may be overwritten from here on. */
  start(): void {
    if (this.buffer.length > KEEP_BYTES) this.replace(Buffer.allocUnsafeSlow(16 * 1024), 0);
    this.position = 0;
  }

  /** The bytes written since `start`: a view, valid until the next `start`. */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.position);
  }

  /** Copies bytes in as they are (a head encoded before). */
  raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buffer.set(bytes, this.position);
    this.position += bytes.length;
  }

  arrayHead(length: number): void {
    this.head(0x80, length);
  }

  value(v: unknown, depth: number): void {
    switch (typeof v) {
      case 'string':
        this.string(v);
        return;
      case 'number':
        this.number(v);
        return;
      case 'boolean':
        this.room(1);
        this.buffer[this.position++] = v ? 0xf5 : 0xf4;
        return;
      case 'undefined':
        this.room(1);
        this.buffer[this.position++] = 0xf7;
        return;
      case 'bigint':
        this.bigint(v);
        return;
      case 'object':
        if (v === null) {
          this.room(1);
          this.buffer[this.position++] = 0xf6;
        } else {
          this.object(v, depth);
        }
        return;
      default:
        throw new UnregisteredMessageError(`values of type ${typeof v}`);
    }
  }

  string(s: string): void {
    const n = s.length;
    if (n < SHORT_STRING) {
      // ASCII takes a byte a character, so the head is known before the bytes: one byte below 24, else two.
      const headBytes = n < 24 ? 1 : 2;
      this.room(headBytes + n);
      const b = this.buffer;
      const at = this.position;
      let i = 0;
      while (i < n) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[at + headBytes + i++] = c;
      }
      if (i === n) {
        if (headBytes === 1) {
          b[at] = 0x60 | n;
        } else {
          b[at] = 0x78;
          b[at + 1] = n;
        }
        this.position = at + headBytes + n;
        return;
      }
    }
    // Not ASCII, or long: Buffer's writer (lone surrogates become U+FFFD, as cbor-x does for long strings).
    const max = n * 3;
    this.room(9 + max);
    const length = Buffer.byteLength(s);
    this.head(0x60, length);
    this.buffer.write(s, this.position, length, 'utf8');
    this.position += length;
  }

  private number(v: number): void {
    if (v >>> 0 === v) {
      this.head(0x00, v);
    } else if (v < 0 && v >= -0x100000000 && Math.floor(v) === v) {
      // A negative integer down to -2^32: its head holds -1 - v, below 2^32.
      this.head(0x20, -1 - v);
    } else {
      this.room(9);
      this.buffer[this.position] = 0xfb;
      this.view.setFloat64(this.position + 1, v);
      this.position += 9;
    }
  }

  private bigint(v: bigint): void {
    if (v >= TWO_64 || v <= -TWO_64) throw new UnregisteredMessageError('bigints beyond 64 bits');
    this.room(9);
    if (v >= 0n) {
      this.buffer[this.position] = 0x1b;
      this.view.setBigUint64(this.position + 1, v);
    } else {
      this.buffer[this.position] = 0x3b;
      this.view.setBigUint64(this.position + 1, -v - 1n);
    }
    this.position += 9;
  }

  private object(v: object, depth: number): void {
    if (depth > MAX_DEPTH) throw new UnregisteredMessageError(`values nested more than ${MAX_DEPTH} deep`);
    if (Array.isArray(v)) {
      const a = v as unknown[];
      const n = a.length;
      this.head(0x80, n);
      for (let i = 0; i < n; i++) this.value(a[i], depth + 1);
      return;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto === Object.prototype || proto === null) {
      this.fields(v as Record<string, unknown>, depth);
      return;
    }
    if (v instanceof BaseRef) {
      this.ref(v);
      return;
    }
    if (v instanceof Uint8Array) {
      this.room(9 + v.length);
      this.head(0x40, v.length);
      this.buffer.set(v, this.position);
      this.position += v.length;
      return;
    }
    if (v instanceof Map) {
      const m = v as Map<unknown, unknown>;
      this.head(0xa0, m.size);
      for (const [k, x] of m) {
        if (typeof k !== 'string') throw new UnregisteredMessageError('maps with keys other than strings');
        this.string(k);
        this.value(x, depth + 1);
      }
      return;
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
    this.fields(v as Record<string, unknown>, depth);
  }

  /**
   * An object's own enumerable fields. Their count is known once they are written, so room for the longest head
   * it takes (5 bytes) is left first; a small object's fields then move back to its one-byte head (a short
   * move), a large one keeps the longer head, as valid CBOR and one move fewer.
   */
  private fields(o: Record<string, unknown>, depth: number): void {
    this.room(5);
    const at = this.position;
    this.position += 5;
    let n = 0;
    for (const k in o) {
      if (!Object.hasOwn(o, k)) continue;
      this.string(k);
      this.value(o[k], depth + 1);
      n++;
    }
    const b = this.buffer;
    if (n < 24 && this.position - at <= COMPACT_BYTES) {
      b[at] = 0xa0 | n;
      b.copyWithin(at + 1, at + 5, this.position);
      this.position -= 4;
    } else {
      b[at] = 0xba;
      this.view.setUint32(at + 1, n);
    }
  }

  private ref(ref: BaseRef): void {
    const parts = this.writeRef(ref);
    this.head(0xc0, REF_TAG);
    this.head(0x80, parts.length);
    for (let i = 0; i < parts.length; i++) this.string(parts[i]!);
  }

  /** A head of major type `major` (its top three bits) with argument `n` (an unsigned integer below 2^32). */
  private head(major: number, n: number): void {
    this.room(5);
    const b = this.buffer;
    const p = this.position;
    if (n < 24) {
      b[p] = major | n;
      this.position = p + 1;
    } else if (n < 0x100) {
      b[p] = major | 24;
      b[p + 1] = n;
      this.position = p + 2;
    } else if (n < 0x10000) {
      b[p] = major | 25;
      b[p + 1] = n >> 8;
      b[p + 2] = n & 0xff;
      this.position = p + 3;
    } else {
      b[p] = major | 26;
      this.view.setUint32(p + 1, n);
      this.position = p + 5;
    }
  }

  private room(n: number): void {
    if (this.position + n <= this.buffer.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.position + n, this.buffer.length * 2));
    this.buffer.copy(next, 0, 0, this.position);
    this.replace(next, this.position);
  }

  private replace(buffer: Buffer, position: number): void {
    this.buffer = buffer;
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.position = position;
  }
}
