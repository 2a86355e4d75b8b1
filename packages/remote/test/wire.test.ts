import { BaseRef, type SysMsg } from '@troupe/core';
import { Encoder } from 'cbor-x';
import { MalformedMessageError } from '../src';
import { decodeEnvelope, encodeEnvelope, type RefCodec, WireKind } from '../src/internal/wire';

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

const refs: RefCodec = {
  write: (r) => [(r as FakeRef).node, r.path, (r as FakeRef).incarnation],
  read: (node, path, incarnation) => new FakeRef(node, path, incarnation),
};

const raw = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });

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
