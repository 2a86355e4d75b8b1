import {
  DuplicateManifestError,
  MalformedMessageError,
  messageType,
  Serialization,
  UnknownManifestError,
  UnregisteredMessageError,
} from '../src';

type Pay = { type: 'shop/pay'; coins: number };

describe('serialization', () => {
  const s = new Serialization().register(messageType<Pay>('shop/pay', (m) => Number.isInteger(m.coins)));

  it('writes a registered message under its manifest and reads it back', () => {
    const [manifest, data] = s.toWire({ type: 'shop/pay', coins: 3 });
    expect(manifest).toBe('shop/pay');
    expect(s.fromWire(manifest, data)).toEqual({ type: 'shop/pay', coins: 3 });
  });

  it('carries primitives without registration', () => {
    for (const v of ['s', 1.5, true, null, new Uint8Array([1])]) {
      const [m, d] = s.toWire(v);
      expect(s.fromWire(m, d)).toEqual(v);
    }
  });

  it('refuses to write an unregistered message with UnregisteredMessageError', () => {
    for (const v of [{ type: 'other' }, { noType: 1 }, [1, 2], undefined]) {
      let caught: unknown;
      try {
        s.toWire(v);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(UnregisteredMessageError);
      expect((caught as UnregisteredMessageError).code).toBe('REMOTE_ERR_UNREGISTERED');
    }
  });

  it('refuses an unknown manifest with UnknownManifestError', () => {
    expect(() => s.fromWire('nope', {})).toThrow(UnknownManifestError);
  });

  it('refuses data its codec does not validate with MalformedMessageError', () => {
    expect(() => s.fromWire('shop/pay', { type: 'shop/pay', coins: 1.5 })).toThrow(MalformedMessageError);
    expect(() => s.fromWire('shop/pay', { type: 'other', coins: 1 })).toThrow(MalformedMessageError);
    expect(() => s.fromWire('shop/pay', ['shop/pay'])).toThrow(MalformedMessageError);
    expect(() => s.fromWire('troupe/number', 'one')).toThrow(MalformedMessageError);
    expect(() => s.fromWire(42, 1)).toThrow(MalformedMessageError);
  });

  it('refuses two codecs under one manifest', () => {
    expect(() => new Serialization().register(messageType('x')).register(messageType('x'))).toThrow(
      DuplicateManifestError,
    );
  });
});
