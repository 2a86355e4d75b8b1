import { createActorSystem, receive } from '@troupe/core';
import { MalformedMessageError, Serialization } from '@troupe/remote';
import { registerCacheProtocol } from '../src';
import { plainStringJsonBytes } from '../src/internal/protocol';

describe('the batched client messages on the wire', () => {
  const system = createActorSystem({ name: 'protocol-test' });
  const replyTo = system.spawn(receive(() => undefined));
  const serialization = registerCacheProtocol(new Serialization());
  afterAll(() => system.terminate());

  const requests = (items: unknown[]) => ({ type: 'cache/requests', items, replyTo });
  const decodes = (manifest: string, data: unknown) => () => serialization.fromWire(manifest, data);

  it('accepts gets, puts and deletes laid out seven items each', () => {
    const items = [
      0,
      1,
      'a',
      'quorum',
      1000,
      0,
      null,
      1,
      2,
      'b',
      'all',
      500,
      60_000,
      { x: 1 },
      2,
      3,
      'c',
      'one',
      10,
      0,
      null,
    ];
    expect(serialization.fromWire('cache/requests', requests(items))).toEqual(requests(items));
  });

  it('refuses a batch of requests with an item out of place', () => {
    for (const items of [
      [0, 1, 'a', 'quorum', 1000, 0], // not a whole request
      [3, 1, 'a', 'quorum', 1000, 0, null], // no such kind
      [0, 1, 'a', 'most', 1000, 0, null], // no such consistency
      [0, 1, 42, 'quorum', 1000, 0, null], // a key that is no string
      [0, -1, 'a', 'quorum', 1000, 0, null], // a negative id
      [1, 1, 'a', 'quorum', 0, 0, 'v'], // no timeout
      [0, 1, 'a', 'quorum', 1000, 0, 'v'], // a get with a value
    ])
      expect(decodes('cache/requests', requests(items))).toThrow(MalformedMessageError);
    expect(decodes('cache/requests', { type: 'cache/requests', items: [], replyTo: 'nobody' })).toThrow(
      MalformedMessageError,
    );
  });

  it('accepts answers by kind and refuses them out of place', () => {
    const ok = {
      type: 'cache/reply-batch',
      done: [1, 2],
      found: [3, { v: 1 }],
      failed: [4, 'CACHE_ERR_X', 'why'],
    };
    expect(serialization.fromWire('cache/reply-batch', ok)).toEqual(ok);
    for (const bad of [
      { ...ok, done: ['1'] },
      { ...ok, found: [3] },
      { ...ok, failed: [4, null, 'why'] },
      { ...ok, failed: undefined },
    ])
      expect(decodes('cache/reply-batch', bad)).toThrow(MalformedMessageError);
  });
});

describe('the write lease messages on the wire', () => {
  const system = createActorSystem({ name: 'protocol-lease-test' });
  const replyTo = system.spawn(receive(() => undefined));
  const serialization = registerCacheProtocol(new Serialization());
  afterAll(() => system.terminate());
  const decodes = (manifest: string, data: unknown) => () => serialization.fromWire(manifest, data);

  it('accepts a lease request and a grant, and refuses them malformed', () => {
    const request = {
      type: 'cache/lease-request',
      from: 'n1',
      round: 3,
      ring: 'n1 n2 n3',
      set: 'n1 n2 n3',
      replyTo,
    };
    expect(serialization.fromWire('cache/lease-request', request)).toEqual(request);
    for (const bad of [
      { ...request, set: undefined },
      { ...request, round: -1 },
      { ...request, replyTo: 'n1' },
    ])
      expect(decodes('cache/lease-request', bad)).toThrow(MalformedMessageError);
    const grant = { type: 'cache/lease-grant', from: 'n2', round: 3, granted: true, clock: [5, 0, 'n2'] };
    expect(serialization.fromWire('cache/lease-grant', grant)).toEqual(grant);
    for (const bad of [
      { ...grant, granted: 1 },
      { ...grant, clock: [5, 0] },
    ])
      expect(decodes('cache/lease-grant', bad)).toThrow(MalformedMessageError);
  });

  it('accepts replies that refuse writes as id and holder pairs, and nothing else', () => {
    const replies = {
      type: 'cache/replies',
      from: 'n2',
      ready: true,
      reads: [],
      entries: [],
      current: [],
      versions: [],
      acks: [],
      writes: [],
    };
    expect(serialization.fromWire('cache/replies', { ...replies, refused: [7, 'n1'] })).toEqual({
      ...replies,
      refused: [7, 'n1'],
    });
    for (const refused of [[7], [7, 8], ['n1', 7], {}])
      expect(decodes('cache/replies', { ...replies, refused })).toThrow(MalformedMessageError);
  });
});

describe('plainStringJsonBytes, the measure of a plain string value', () => {
  const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));

  it("gives a string's JSON bytes without building the JSON, or nothing when the JSON would escape it", () => {
    expect(plainStringJsonBytes('x'.repeat(32))).toBe(34);
    expect(plainStringJsonBytes('')).toBe(2);
    for (const escaped of ['a"b', 'a\\b', 'line\n', 'tab\t', '\u007f', 'é', '😀', '\ud800'])
      expect(plainStringJsonBytes(escaped)).toBeUndefined();
    for (const other of [1, null, true, { a: 1 }, ['a'], 'x'.repeat(257)])
      expect(plainStringJsonBytes(other)).toBeUndefined();
  });

  it('agrees with Buffer.byteLength(JSON.stringify(s)) on 2,000 seeded random strings', () => {
    let seed = 42;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = [
      'a',
      'Z',
      '0',
      ' ',
      '~',
      '"',
      '\\',
      '\n',
      '\u0000',
      '\u007f',
      'é',
      '€',
      '\ud83d\ude00',
      '\udc00',
    ];
    let measured = 0;
    for (let i = 0; i < 2000; i++) {
      const s = Array.from(
        { length: next(40) },
        () => alphabet[next(i % 2 === 0 ? 5 : alphabet.length)],
      ).join('');
      const bytes = plainStringJsonBytes(s);
      if (bytes === undefined) continue;
      measured++;
      expect(bytes).toBe(jsonBytes(s));
    }
    // Every string drawn from the first five characters alone is plain, so about half were measured.
    expect(measured).toBeGreaterThan(900);
  });
});
