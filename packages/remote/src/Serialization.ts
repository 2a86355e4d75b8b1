import {
  DuplicateManifestError,
  MalformedMessageError,
  UnknownManifestError,
  UnregisteredMessageError,
} from './RemoteError';

/**
 * How one kind of message crosses the wire: a stable `manifest` (its name on the wire, never a class name that a
 * refactoring could change), a test that recognises it, and how to turn it into plain data and back. `decode`
 * gets untrusted data: it must check every field and throw when anything is off.
 *
 * Plain data means what CBOR carries: strings, numbers, booleans, null, arrays, plain objects, `Uint8Array`,
 * and actor refs (which travel as addresses and work on the other side).
 */
export interface MessageCodec<T = unknown> {
  readonly manifest: string;
  matches(value: unknown): boolean;
  /** To plain data. Default: the value itself. */
  encode?(value: T): unknown;
  /** From plain data, validated. Throw to refuse the message. */
  decode(data: unknown): T;
}

/**
 * The registry of remotable message types. A message without a codec is refused before it leaves (a dead
 * letter, never a guess), and a manifest nobody registered is refused when it arrives.
 *
 * @example
 * ```ts
 * type Ping = { type: 'ping'; replyTo: ActorRef<Pong> };
 * const serialization = new Serialization()
 *   .register(messageType<Ping>('ping', (m) => isRef(m.replyTo)))
 *   .register(messageType<Pong>('pong'));
 * ```
 */
export class Serialization {
  private readonly byManifest = new Map<string, MessageCodec<any>>();
  private readonly byType = new Map<string, MessageCodec<any>>();
  private readonly others: MessageCodec<any>[] = [];

  constructor() {
    for (const c of builtinCodecs) this.register(c);
  }

  register(codec: MessageCodec<any>): this {
    if (this.byManifest.has(codec.manifest)) throw new DuplicateManifestError(codec.manifest);
    this.byManifest.set(codec.manifest, codec);
    const type = (codec as TypedCodec<any>).typeTag;
    if (typeof type === 'string') this.byType.set(type, codec);
    else this.others.push(codec);
    return this;
  }

  /** The codec for a value, found by its `type` field first, then by each codec's `matches`. */
  codecFor(value: unknown): MessageCodec<any> {
    if (value !== null && typeof value === 'object') {
      const type = (value as { type?: unknown }).type;
      if (typeof type === 'string') {
        const c = this.byType.get(type);
        if (c && c.matches(value)) return c;
      }
    }
    for (const c of this.others) if (c.matches(value)) return c;
    throw new UnregisteredMessageError(describe(value));
  }

  /** `[manifest, data]` for a message; throws `UnregisteredMessageError`. */
  toWire(value: unknown): [string, unknown] {
    const codec = this.codecFor(value);
    return [codec.manifest, codec.encode ? codec.encode(value) : value];
  }

  /** The message for `[manifest, data]`; throws `UnknownManifestError` or `MalformedMessageError`. */
  fromWire(manifest: unknown, data: unknown): unknown {
    if (typeof manifest !== 'string') throw new MalformedMessageError('manifest is not a string');
    const codec = this.byManifest.get(manifest);
    if (!codec) throw new UnknownManifestError(manifest);
    try {
      return codec.decode(data);
    } catch (e) {
      throw e instanceof MalformedMessageError
        ? e
        : new MalformedMessageError(`codec ${manifest} refused it`, e);
    }
  }
}

interface TypedCodec<T> extends MessageCodec<T> {
  readonly typeTag: string;
}

/**
 * A codec for the common shape of a message: a plain object with a string `type` field, which is also its
 * manifest (prefix it with your app's name to keep manifests unique: `'shop/pay'`). `validate` checks
 * incoming data; without it only the `type` is checked, so prefer to give one.
 *
 * @example
 * ```ts
 * type Pay = { type: 'shop/pay'; coins: number };
 * serialization.register(messageType<Pay>('shop/pay', (m) => Number.isInteger(m.coins)));
 * ```
 */
export function messageType<T extends { type: string }>(
  type: T['type'],
  validate?: (message: Record<string, unknown>) => boolean,
): MessageCodec<T> {
  const codec: TypedCodec<T> = {
    manifest: type,
    typeTag: type,
    matches: (v) => v !== null && typeof v === 'object' && (v as { type?: unknown }).type === type,
    decode(data) {
      if (!isPlainObject(data) || data.type !== type)
        throw new MalformedMessageError(`not a ${type} message`);
      if (validate && !validate(data)) throw new MalformedMessageError(`${type} failed validation`);
      return data as unknown as T;
    },
  };
  return codec;
}

/** A plain object (not an array, a ref, or a class instance). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function primitive(manifest: string, test: (v: unknown) => boolean): MessageCodec<unknown> {
  return {
    manifest,
    matches: test,
    decode(data) {
      if (!test(data)) throw new MalformedMessageError(`not a ${manifest}`);
      return data;
    },
  };
}

/** Primitives travel without registration: handy for replies (`ask` for a number). */
const builtinCodecs: MessageCodec<unknown>[] = [
  primitive('troupe/string', (v) => typeof v === 'string'),
  primitive('troupe/number', (v) => typeof v === 'number'),
  primitive('troupe/boolean', (v) => typeof v === 'boolean'),
  primitive('troupe/null', (v) => v === null),
  primitive('troupe/bytes', (v) => v instanceof Uint8Array),
];

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return typeof value;
  const type = (value as { type?: unknown }).type;
  if (typeof type === 'string') return `messages of type ${JSON.stringify(type)}`;
  return value.constructor?.name ? `instances of ${value.constructor.name}` : 'this object';
}
