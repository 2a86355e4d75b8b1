import { BaseRef, createSeededRandom, type SysMsg } from '@troupe/core';
import { Decoder, Encoder, Tag, decode as cborxDecode, encode as cborxEncode } from 'cbor-x';
import { MalformedMessageError, UnregisteredMessageError } from '../src';
import {
  decodeEnvelopes,
  encodeEnvelope,
  encodePayload,
  encodeUser,
  encodeUserElsewhere,
  type Envelope,
  USER_AGAIN_HEAD,
  type RefCodec,
  type UserHeaderCache,
  WireKind,
} from '../src/internal/wire';

class FakeRef extends BaseRef<unknown> {
  readonly name: string;
  constructor(
    readonly node: string,
    readonly path: string,
    readonly incarnation: string,
  ) {
    super();
    this.name = path.split('/').pop()!;
  }
  tell(): void {}
  sendSystem(_m: SysMsg): void {}
}

/** Refs of node `troupe://self@h:0` (incarnation 'self') go as a bare path, as a node writes its own actors. */
const SELF = 'troupe://self@h:0';
const refs: RefCodec = {
  write: (r) => {
    const ref = r as FakeRef;
    return ref.node === SELF ? [ref.path] : [ref.node, ref.path, ref.incarnation];
  },
  read: (node, path, incarnation) => new FakeRef(node, path, incarnation),
  // As if decoding a message from node `troupe://peer@h:2`, incarnation 'peer'.
  readOwn: (path) => new FakeRef('troupe://peer@h:2', path, 'peer'),
};

const raw = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });

/** The one envelope a transport message holds; throws `MalformedMessageError` for any other count. */
function decodeEnvelope(bytes: Uint8Array, refs: RefCodec): Envelope {
  const envs: Envelope[] = [];
  decodeEnvelopes(bytes, refs, (env) => envs.push(env) < 2);
  if (envs.length !== 1) throw new MalformedMessageError('expected exactly one envelope');
  return envs[0];
}

function malformed(bytes: Uint8Array): MalformedMessageError {
  try {
    decodeEnvelope(bytes, refs);
  } catch (e) {
    expect(e).toBeInstanceOf(MalformedMessageError);
    expect((e as MalformedMessageError).code).toBe('REMOTE_ERR_MALFORMED');
    return e as MalformedMessageError;
  }
  throw new Error('decoded without complaint');
}

describe('the wire format', () => {
  it('round-trips a user envelope with refs nested anywhere in the payload', () => {
    const ref = new FakeRef('troupe://a@h:1', '/user/x', 'inc1');
    const payload = {
      type: 'hi',
      replyTo: ref,
      list: [1, 'two', { deep: ref }],
      bytes: new Uint8Array([1, 2]),
    };
    const bytes = encodeEnvelope(
      { kind: WireKind.User, to: 'inc2', path: '/user/y', manifest: 'hi', payload },
      refs,
    );
    const env = decodeEnvelope(bytes, refs);
    expect(env).toEqual({
      kind: WireKind.User,
      to: 'inc2',
      path: '/user/y',
      manifest: 'hi',
      payload: {
        type: 'hi',
        replyTo: expect.any(FakeRef),
        list: [1, 'two', { deep: expect.any(FakeRef) }],
        bytes: expect.any(Uint8Array),
      },
    });
    const p = (env as { payload: { replyTo: FakeRef } }).payload;
    expect([p.replyTo.node, p.replyTo.path, p.replyTo.incarnation]).toEqual([
      'troupe://a@h:1',
      '/user/x',
      'inc1',
    ]);
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
  });

  it('round-trips watch, unwatch, death and heartbeat envelopes', () => {
    for (const env of [
      { kind: WireKind.Watch, to: 'i', watchee: '/user/a', watcher: '/user/b' },
      { kind: WireKind.Unwatch, to: '', watchee: '/user/a', watcher: '/user/b' },
      { kind: WireKind.Death, to: 'i', dead: '/user/a', watcher: '/user/b' },
      { kind: WireKind.Heartbeat },
    ] as const) {
      expect(decodeEnvelope(encodeEnvelope(env, refs), refs)).toEqual(env);
    }
  });

  it('refuses a payload with a __proto__ key, and Object.prototype stays clean', () => {
    const evil = new Map<string, unknown>([['__proto__', new Map([['polluted', true]])]]);
    malformed(raw.encode([0, '', '/user/a', 'm', evil]));
    malformed(raw.encode([0, '', '/user/a', 'm', { nested: [evil] }]));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a payload with a constructor or prototype key', () => {
    malformed(raw.encode([0, '', '/user/a', 'm', new Map([['constructor', 1]])]));
    malformed(raw.encode([0, '', '/user/a', 'm', { a: new Map([['prototype', {}]]) }]));
  });

  it('refuses garbage, truncated CBOR, and CBOR of the wrong shape', () => {
    malformed(new Uint8Array([0xff, 0x00, 0x13]));
    const good = encodeEnvelope(
      { kind: WireKind.User, to: '', path: '/user/a', manifest: 'm', payload: 'x' },
      refs,
    );
    malformed(good.subarray(0, good.length - 2));
    malformed(raw.encode({ kind: 0 }));
    malformed(raw.encode([]));
    malformed(raw.encode([99]));
    malformed(raw.encode([0, '', '/user/a', 'm'])); // a field short
    malformed(raw.encode([0, 1, '/user/a', 'm', 'x'])); // incarnation not a string
    malformed(raw.encode([0, '', 'user/a', 'm', 'x'])); // path not absolute
    malformed(raw.encode([1, '', '/user/a', 7]));
    malformed(raw.encode([4, 'extra']));
  });

  it('refuses non-string keys and values of unknown classes', () => {
    malformed(raw.encode([0, '', '/user/a', 'm', new Map<unknown, unknown>([[1, 'x']])]));
    malformed(raw.encode([0, '', '/user/a', 'm', new Date(0)]));
  });

  it('refuses a malformed ref', () => {
    class Token {}
    void Token;
    const bytes = raw.encode([0, '', '/user/a', 'm', 1]);
    // Splice tag 40001 around a 2-element array by hand: d9 9c41 82 61 61 61 62
    const tagged = new Uint8Array([
      ...bytes.subarray(0, bytes.length - 1),
      0xd9,
      0x9c,
      0x41,
      0x82,
      0x61,
      0x61,
      0x61,
      0x62,
    ]);
    malformed(tagged);
  });

  it("writes a ref to the sending node's own actor as its bare path, read back as the sender's", () => {
    const own = new FakeRef(SELF, '/temp/$7', 'self');
    const other = new FakeRef('troupe://a@h:1', '/user/x', 'inc1');
    const payload = { own, other };
    const bytes = encodeEnvelope(
      { kind: WireKind.User, to: '', path: '/user/y', manifest: 'm', payload },
      refs,
    );
    // Neither the sender's address nor its incarnation travels; the other node's do.
    const text = Buffer.from(bytes).toString('latin1');
    expect(text).not.toContain('self');
    expect(text).toContain('troupe://a@h:1');
    const got = (decodeEnvelope(bytes, refs) as { payload: { own: FakeRef; other: FakeRef } }).payload;
    expect([got.own.node, got.own.path, got.own.incarnation]).toEqual([
      'troupe://peer@h:2',
      '/temp/$7',
      'peer',
    ]);
    expect([got.other.node, got.other.path, got.other.incarnation]).toEqual([
      'troupe://a@h:1',
      '/user/x',
      'inc1',
    ]);
  });

  it('refuses a bare-path ref whose path is not a path, and refs of other lengths', () => {
    const tag = (items: unknown[]) => {
      const bytes = raw.encode([0, '', '/user/a', 'm', 1]);
      return new Uint8Array([...bytes.subarray(0, bytes.length - 1), 0xd9, 0x9c, 0x41, ...raw.encode(items)]);
    };
    expect(decodeEnvelope(tag(['/user/b']), refs)).toMatchObject({ payload: expect.any(FakeRef) });
    malformed(tag([7]));
    malformed(tag(['user/b']));
    malformed(tag([]));
    malformed(tag(['troupe://a@h:1', '/user/b']));
    malformed(tag(['troupe://a@h:1', '/user/b', 'i', 'extra']));
  });

  it('refuses nesting deeper than the limit instead of overflowing the stack', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 200; i++) deep = [deep];
    malformed(raw.encode([0, '', '/user/a', 'm', deep]));
  });

  it('refuses oversized strings in the header', () => {
    malformed(raw.encode([0, 'x'.repeat(65), '/user/a', 'm', 1]));
    malformed(raw.encode([0, '', '/' + 'a'.repeat(2000), 'm', 1]));
  });
});

const user = (payload: unknown, path = '/user/y', manifest = 'm') =>
  encodeEnvelope({ kind: WireKind.User, to: 'inc', path, manifest, payload }, refs);
/** Decodes a copy: what `encodeEnvelope` returns is overwritten by the next encoding. */
const payloadOf = (bytes: Uint8Array): unknown =>
  (decodeEnvelope(Buffer.from(bytes), refs) as { payload: unknown }).payload;

/** `[0, '', '/a', 'm', ` by hand: a user envelope's head, its payload to follow. */
const HEAD = [0x85, 0x00, 0x60, 0x62, 0x2f, 0x61, 0x61, 0x6d];
const withPayload = (...payload: number[]) => new Uint8Array([...HEAD, ...payload]);

function refusedToEncode(payload: unknown): void {
  expect(() => user(payload)).toThrow(UnregisteredMessageError);
}

describe('values in messages', () => {
  it('round-trips numbers at every size of CBOR head, bigints up to 64 bits, floats and NaN', () => {
    const values = [
      0,
      23,
      24,
      255,
      256,
      65_535,
      65_536,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 53 - 1,
      -1,
      -24,
      -25,
      -256,
      -(2 ** 32),
      -(2 ** 53 - 1),
      1.5,
      NaN,
      Infinity,
      -Infinity,
      2 ** 60,
      5e-324,
    ];
    const decoded = payloadOf(user(values)) as number[];
    values.forEach((v, i) => expect(Object.is(decoded[i], v)).toBe(true));
    expect(payloadOf(user([2n ** 64n - 1n, 1n - 2n ** 64n, 7n]))).toEqual([
      2n ** 64n - 1n,
      1n - 2n ** 64n,
      7n,
    ]);
  });

  it('round-trips strings of every length and script, bytes, nested arrays, and objects of any size', () => {
    const many: Record<string, unknown> = {};
    for (let i = 0; i < 300; i++) many[`k${i}`] = i % 3 === 0 ? 'é'.repeat(i) : { i, s: 'x'.repeat(i) };
    const payload = {
      ascii: 'a'.repeat(200),
      accents: 'déjà vu',
      emoji: '😀 and more',
      empty: '',
      bytes: new Uint8Array([0, 1, 255]),
      nested: [[[1], []], { a: null, b: undefined, c: true, d: false }],
      many,
      twentyFour: Object.fromEntries(Array.from({ length: 24 }, (_, i) => [`f${i}`, i])),
    };
    expect(payloadOf(user(payload))).toEqual(payload);
  });

  it('writes numbers, strings, bytes and arrays byte for byte as cbor-x does', () => {
    const values: unknown[] = [
      [0, 23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 1.5, NaN, -Infinity, 5e-324],
      [-1, -24, -25, -256, -257, -65_537, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 32), -(2 ** 32) - 1],
      [2n ** 64n - 1n, 1n - 2n ** 64n, 0n, -1n],
      ['', 'a', 'x'.repeat(23), 'x'.repeat(24), 'x'.repeat(63), 'x'.repeat(64), 'x'.repeat(300)],
      ['déjà', 'é'.repeat(40), '😀', 'x'.repeat(70_000)],
      [true, false, null, undefined],
      new Uint8Array([0, 1, 255]),
      Array.from({ length: 300 }, (_, i) => i),
    ];
    for (const v of values) {
      expect(Buffer.from(encodePayload(v, refs)).equals(Buffer.from(raw.encode(v)))).toBe(true);
    }
  });

  it('round-trips a thousand random values of every kind, also one right after another that failed', () => {
    const random = createSeededRandom(7);
    const int = (n: number) => Math.floor(random.next() * n);
    const strings = ['', 'a', 'type', 'déjà vu', '😀', 'x'.repeat(30), 'y'.repeat(100), 'z'.repeat(600)];
    const numbers = [0, 1, 23, 24, 300, 70_000, 2 ** 32 + 1, -1, -30, -(2 ** 31) - 5, 0.25, 1e300, NaN];
    const value = (depth: number): unknown => {
      switch (depth > 3 ? int(5) : int(8)) {
        case 0:
          return strings[int(strings.length)];
        case 1:
          return numbers[int(numbers.length)];
        case 2:
          return [true, false, null, undefined, 12n, -(2n ** 63n)][int(6)];
        case 3:
          return Uint8Array.from({ length: int(40) }, () => int(256));
        case 4:
          return Date.now() + int(1000); // a large integer, as a timestamp is
        case 5:
          return Array.from({ length: int(8) }, () => value(depth + 1));
        case 6:
          return Object.fromEntries(
            Array.from({ length: int(8) + (depth === 0 ? 20 : 0) }, (_, i) => [`k${i}`, value(depth + 1)]),
          );
        default:
          // Small integers only: an array V8 stores unboxed.
          return Array.from({ length: int(50) }, () => int(100));
      }
    };
    for (let i = 0; i < 1000; i++) {
      const v = value(0);
      if (i % 10 === 0) refusedToEncode([v, new Date(0)]);
      expect(payloadOf(user(v))).toEqual(v);
    }
  });

  it('sends Maps with string keys and objects without a prototype as plain objects', () => {
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    const decoded = payloadOf(user({ m: new Map([['k', 1]]), bare })) as Record<string, object>;
    expect(decoded).toEqual({ m: { k: 1 }, bare: { a: 1 } });
    expect(Object.getPrototypeOf(decoded.m)).toBe(Object.prototype);
  });

  it("reads what other CBOR encoders write: cbor-x's output, half and single floats", () => {
    const payload = { type: 'hi', single: Math.fround(3.14159), double: 0.1, list: [1, 'two'], text: 'déjà' };
    const decoded = payloadOf(raw.encode([0, '', '/user/a', 'hi', payload])) as typeof payload;
    expect(decoded).toEqual(payload);
    expect(payloadOf(withPayload(0xf9, 0x3c, 0x00))).toBe(1); // a half float
    expect(payloadOf(withPayload(0xfa, 0x3f, 0xc0, 0x00, 0x00))).toBe(1.5); // a single float
  });

  it('refuses tags other than refs, shared values, simple values, indefinite strings and trailing bytes', () => {
    for (const payload of [
      [0x7f, 0x61, 0x61, 0xff], // indefinite string
      [0xc1, 0x01], // a date
      [0xc2, 0x41, 0x01], // a bignum
      [0xc3, 0x41, 0x01], // a negative bignum
      [0xd9, 0x01, 0x02, 0x81, 0x01], // a set (tag 258)
      [0xd9, 0x01, 0x03, 0xa1, 0x61, 0x61, 0x01], // a Map (tag 259)
      [0xd8, 0x48, 0x42, 0x01, 0x02], // a typed array other than bytes (tag 72, Int8Array)
      [0xd8, 0x1b, 0x82, 0x65, 0x45, 0x72, 0x72, 0x6f, 0x72, 0x61, 0x78], // an error (tag 27)
      [0xd9, 0xff, 0xff, 0x01], // an unknown tag
      [0xd8, 0x1d, 0x00], // shared reference (tag 29)
      [0xe0], // unassigned simple value
      [0xf8, 0x20], // simple value in the next byte
      [0xff], // a lone break
      [0x01, 0x02], // a trailing item
      [0x5a, 0xff, 0xff, 0xff, 0xff, 0x00], // a byte string longer than the message
      [0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // an array longer than anything
      [0x82, 0xd8, 0x1c, 0x81, 0x01, 0xd8, 0x1d, 0x00], // a value and a reference to it
    ]) {
      malformed(withPayload(...payload));
    }
  });

  it('accepts indefinite-length arrays and maps, as any CBOR decoder does', () => {
    expect(payloadOf(withPayload(0x9f, 0x01, 0xff))).toEqual([1]);
    expect(payloadOf(withPayload(0xbf, 0x61, 0x61, 0x01, 0xff))).toEqual({ a: 1 });
    // An indefinite map goes through the same key check.
    malformed(withPayload(0xbf, 0x69, ...Buffer.from('__proto__'), 0x01, 0xff));
  });

  it('keeps a key named __proto_ as it is, and refuses __proto__ rather than renaming it', () => {
    expect(payloadOf(raw.encode([0, '', '/user/a', 'm', { __proto_: 1 }]))).toEqual({ __proto_: 1 });
    malformed(raw.encode([0, '', '/user/a', 'm', new Map([['__proto__', 1]])]));
  });

  it('refuses a bignum of 60 kB as it does a small one', () => {
    const n = 60_000;
    const bignum = Buffer.alloc(n + 5, 0xff);
    bignum[0] = 0xc2;
    bignum[1] = 0x5a;
    bignum.writeUInt32BE(n, 2);
    malformed(Buffer.concat([Buffer.from(HEAD), bignum]));
  });

  it('accepts one ref twice in a message even when the node hands out one object for it', () => {
    const canonical = new FakeRef('troupe://a@h:1', '/user/x', 'i');
    const oneRef: RefCodec = { write: refs.write, read: () => canonical, readOwn: () => canonical };
    const bytes = user({ a: canonical, b: [canonical] });
    const env = decodeEnvelope(Buffer.from(bytes), oneRef) as { payload: { a: unknown; b: unknown[] } };
    expect(env.payload.a).toBe(canonical);
    expect(env.payload.b[0]).toBe(canonical);
  });

  it('refuses to encode what has no plain form, and encodes the next message as usual', () => {
    for (const v of [new Date(0), new Set([1]), new Float32Array(1), () => 1, Symbol('s'), 2n ** 64n]) {
      refusedToEncode({ v });
      refusedToEncode([v]);
    }
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    refusedToEncode(deep);
    expect(payloadOf(user({ ok: 1 }))).toEqual({ ok: 1 });
  });

  it('decodes envelopes that share a head, one after another, each with its own payload and head', () => {
    const a = Buffer.from(user({ n: 1 }));
    const b = Buffer.from(user({ n: 2 }));
    const c = Buffer.from(user({ n: 3 }, '/user/other', 'other'));
    expect(decodeEnvelope(a, refs)).toEqual({
      kind: 0,
      to: 'inc',
      path: '/user/y',
      manifest: 'm',
      payload: { n: 1 },
    });
    expect(decodeEnvelope(b, refs)).toEqual({
      kind: 0,
      to: 'inc',
      path: '/user/y',
      manifest: 'm',
      payload: { n: 2 },
    });
    expect(decodeEnvelope(c, refs)).toEqual({
      kind: 0,
      to: 'inc',
      path: '/user/other',
      manifest: 'other',
      payload: { n: 3 },
    });
    // The same head again, then something wrong after it: still refused.
    decodeEnvelope(a, refs);
    malformed(a.subarray(0, a.length - 1));
    const poisoned = Buffer.concat([
      a.subarray(0, a.length - 4),
      Buffer.from(raw.encode(new Map([['__proto__', 1]]))),
    ]);
    malformed(poisoned);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('writes the same bytes with a kept head as without, also when the type changes', () => {
    const cache: UserHeaderCache = { headerManifest: undefined, headerBytes: undefined };
    for (const [manifest, n] of [
      ['m', 1],
      ['m', 2],
      ['m', 3],
      ['other', 4],
      ['other', 5],
      ['m', 6],
    ] as const) {
      const kept = Buffer.from(encodeUser('inc', '/user/y', manifest, { n }, refs, cache));
      expect(kept).toEqual(Buffer.from(user({ n }, '/user/y', manifest)));
    }
    expect(cache.headerBytes).toBeUndefined(); // 'm' after 'other': not kept until it repeats
  });
});

describe('transport messages of many envelopes', () => {
  const again = (payload: unknown) => Buffer.concat([USER_AGAIN_HEAD, encodePayload(payload, refs)]);
  const all = (bytes: Uint8Array): Envelope[] => {
    const out: Envelope[] = [];
    decodeEnvelopes(bytes, refs, (env) => out.push(env) > 0);
    return out;
  };

  it('decodes every envelope in order, a repeated one taking the head of the user envelope before it', () => {
    const message = Buffer.concat([
      Buffer.from(user({ n: 1 })),
      again({ n: 2 }),
      Buffer.from(encodeEnvelope({ kind: WireKind.Heartbeat }, refs)),
      again({ n: 3 }),
      Buffer.from(user({ n: 4 }, '/user/other', 'other')),
      again({ n: 5 }),
    ]);
    expect(all(message)).toEqual([
      { kind: WireKind.User, to: 'inc', path: '/user/y', manifest: 'm', payload: { n: 1 } },
      { kind: WireKind.User, to: 'inc', path: '/user/y', manifest: 'm', payload: { n: 2 } },
      { kind: WireKind.Heartbeat },
      { kind: WireKind.User, to: 'inc', path: '/user/y', manifest: 'm', payload: { n: 3 } },
      { kind: WireKind.User, to: 'inc', path: '/user/other', manifest: 'other', payload: { n: 4 } },
      { kind: WireKind.User, to: 'inc', path: '/user/other', manifest: 'other', payload: { n: 5 } },
    ]);
  });

  it('decodes an envelope elsewhere with the incarnation and manifest of the user envelope before it', () => {
    const elsewhere = (path: string, payload: unknown) =>
      Buffer.from(encodeUserElsewhere(path, payload, refs));
    const message = Buffer.concat([
      Buffer.from(user({ n: 1 })),
      elsewhere('/temp/$a', { n: 2 }),
      again({ n: 3 }),
      elsewhere('/temp/$b', { n: 4 }),
    ]);
    expect(all(message)).toEqual([
      { kind: WireKind.User, to: 'inc', path: '/user/y', manifest: 'm', payload: { n: 1 } },
      { kind: WireKind.User, to: 'inc', path: '/temp/$a', manifest: 'm', payload: { n: 2 } },
      // A repeat takes the head of the envelope elsewhere before it.
      { kind: WireKind.User, to: 'inc', path: '/temp/$a', manifest: 'm', payload: { n: 3 } },
      { kind: WireKind.User, to: 'inc', path: '/temp/$b', manifest: 'm', payload: { n: 4 } },
    ]);
    // Neither the incarnation nor the manifest travels again.
    expect(elsewhere('/temp/$a', { n: 2 }).toString('latin1')).not.toMatch(/inc|m\b/);
  });

  it('refuses an envelope elsewhere with no user envelope before it, or with a bad path or shape', () => {
    malformed(Buffer.from(encodeUserElsewhere('/temp/$a', 1, refs)));
    const head = Buffer.from(user({ n: 1 }));
    const refused = (tail: Uint8Array) => {
      const seen: Envelope[] = [];
      expect(() => decodeEnvelopes(Buffer.concat([head, tail]), refs, (env) => seen.push(env) > 0)).toThrow(
        MalformedMessageError,
      );
      expect(seen).toHaveLength(1);
    };
    refused(raw.encode([WireKind.UserElsewhere, 'temp/$a', 1]));
    refused(raw.encode([WireKind.UserElsewhere, 7, 1]));
    refused(raw.encode([WireKind.UserElsewhere, '/temp/$a']));
    refused(raw.encode([WireKind.UserElsewhere, '/temp/$a', 1, 2]));
  });

  it('refuses a repeated envelope with no user envelope before it in the same message', () => {
    // A head from an earlier message does not count: messages may be lost, duplicated or reordered.
    decodeEnvelope(Buffer.from(user({ n: 1 })), refs);
    const e = malformed(again({ n: 2 }));
    expect(e.code).toBe('REMOTE_ERR_MALFORMED');
    malformed(raw.encode([WireKind.UserAgain]));
  });

  it('hands over the envelopes before a malformed one, then refuses the message and reads nothing after it', () => {
    const seen: Envelope[] = [];
    const message = Buffer.concat([
      Buffer.from(user({ n: 1 })),
      raw.encode([WireKind.User, 'inc', 'no-slash', 'm', 1]),
      Buffer.from(user({ n: 3 })),
    ]);
    expect(() => decodeEnvelopes(message, refs, (env) => seen.push(env) > 0)).toThrow(MalformedMessageError);
    expect(seen.map((env) => (env as { payload: unknown }).payload)).toEqual([{ n: 1 }]);
  });

  it('stops when the handler says so, and lets a handler error out as it is', () => {
    const message = Buffer.concat([Buffer.from(user({ n: 1 })), again({ n: 2 }), again({ n: 3 })]);
    let count = 0;
    decodeEnvelopes(message, refs, () => ++count < 2);
    expect(count).toBe(2);
    const bug = new RangeError('handler bug');
    expect(() =>
      decodeEnvelopes(message, refs, () => {
        throw bug;
      }),
    ).toThrow(bug);
  });

  it('takes exactly one envelope where one is expected, and refuses an empty message', () => {
    const two = Buffer.concat([Buffer.from(user({ n: 1 })), again({ n: 2 })]);
    malformed(two);
    malformed(Buffer.alloc(0));
  });
});

describe('reading untrusted bytes', () => {
  it('reads any plain value cbor-x writes (valid UTF-8 strings) as cbor-x itself reads it', () => {
    const random = createSeededRandom(11);
    const int = (n: number) => Math.floor(random.next() * n);
    const text = (): string => {
      const units: string[] = [];
      const length = [0, 1, 5, 23, 24, 25, 40, 300][int(8)];
      for (let i = 0; i < length; i++) {
        const kind = int(4);
        if (kind === 0)
          units.push(String.fromCodePoint(0x1f600 + int(50))); // astral: 4 bytes
        else if (kind === 1)
          units.push(String.fromCharCode(0xe0 + int(30))); // 2 bytes
        else if (kind === 2)
          units.push(String.fromCharCode(0x4e00 + int(500))); // 3 bytes
        else units.push(String.fromCharCode(0x61 + int(26)));
      }
      return units.join('');
    };
    const number = (): number | bigint => {
      switch (int(6)) {
        case 0:
          return int(2 ** 16) - 2 ** 15;
        case 1:
          return int(2 ** 32) * (int(2) ? 1 : -1);
        case 2:
          return (random.next() - 0.5) * 10 ** int(300);
        case 3:
          return BigInt(int(2 ** 32)) * BigInt(int(2 ** 31)) * (int(2) ? 1n : -1n);
        case 4:
          return [NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE][int(5)];
        default:
          return int(24);
      }
    };
    const value = (depth: number): unknown => {
      switch (depth > 4 ? int(4) : int(7)) {
        case 0:
          return text();
        case 1:
          return number();
        case 2:
          return [true, false, null, undefined][int(4)];
        case 3:
          return Uint8Array.from({ length: int(30) }, () => int(256));
        case 4:
          return Array.from({ length: int(6) }, () => value(depth + 1));
        default:
          return Object.fromEntries(Array.from({ length: int(6) }, () => [text() || 'k', value(depth + 1)]));
      }
    };
    const reference = new Decoder({ useRecords: false, mapsAsObjects: true });
    for (let i = 0; i < 2000; i++) {
      const bytes = raw.encode([0, 'inc', '/user/a', 'm', value(0)]);
      expect(payloadOf(bytes)).toEqual((reference.decode(bytes) as unknown[])[4]);
    }
  });

  it('reads many short strings whose cache slots collide, each as itself, again and again', () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 5000; i++) many[`k${i}`] = `v${i * 7}`;
    const bytes = raw.encode([0, 'inc', '/user/a', 'm', many]);
    for (let round = 0; round < 3; round++) expect(payloadOf(bytes)).toEqual(many);
    // The same bytes at a slot another string took meanwhile.
    expect(payloadOf(raw.encode([0, 'inc', '/user/a', 'm', { k1: 'v7' }]))).toEqual({ k1: 'v7' });
  });

  it('refuses every truncation of an envelope without handing anything over', () => {
    const own = new FakeRef(SELF, '/temp/$1', 'self');
    const bytes = Buffer.from(
      user({
        type: 'x',
        n: 2 ** 40,
        list: [1, 'two', 3n],
        own,
        bytes: new Uint8Array(30),
        text: 'é'.repeat(30),
      }),
    );
    for (let length = 1; length < bytes.length; length++) {
      expect(() =>
        decodeEnvelopes(bytes.subarray(0, length), refs, () => {
          throw new Error(`handed over an envelope cut at ${length}`);
        }),
      ).toThrow(MalformedMessageError);
    }
  });

  it('refuses reserved heads, and integers, byte strings and tags of indefinite length', () => {
    for (const payload of [
      [0x1c], // reserved
      [0x1d],
      [0x1e],
      [0x1f], // an unsigned integer of indefinite length
      [0x3f], // a negative one
      [0x5f, 0x41, 0x61, 0xff], // an indefinite byte string
      [0xdc, 0x01], // a reserved tag head
      [0xdf, 0x01],
      [0xfc], // a reserved simple head
      [0x9f, 0x01], // an indefinite array with no break
      [0xbf, 0x61, 0x61], // an indefinite map cut after a key
    ]) {
      malformed(withPayload(...payload));
    }
  });

  it('reads nesting as deep as the writer writes it, and no deeper', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 65; i++) deep = [deep];
    expect(payloadOf(user(deep))).toEqual(deep);
    refusedToEncode([deep]);
    malformed(raw.encode([0, '', '/user/a', 'm', [deep]]));
  });

  it('leaves cbor-x as it found it for the rest of the process: its tags and bignums decode as before', () => {
    const ref = cborxDecode(Uint8Array.from([0xd9, 0x9c, 0x41, 0x81, 0x62, 0x2f, 0x61])) as Tag;
    expect(ref).toBeInstanceOf(Tag);
    expect(ref.value).toEqual(['/a']);
    expect(cborxDecode(cborxEncode(2n ** 70n))).toBe(2n ** 70n);
  });
});
