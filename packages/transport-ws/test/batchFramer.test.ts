import { BatchFramer } from '../src/internal/BatchFramer';

describe('BatchFramer', () => {
  it('round-trips messages of every size, empty ones included', () => {
    const framer = new BatchFramer();
    const messages = [0, 1, 3, 4, 1000, 0, 70_000].map((n, i) => new Uint8Array(n).fill(i + 1));
    for (const m of messages) framer.append(m);
    const total = messages.reduce((sum, m) => sum + 4 + m.length, 0);
    expect(framer.size).toBe(total);
    const frame = framer.take()!;
    expect(frame.length).toBe(total);
    expect(BatchFramer.decode(frame)!.map((m) => Buffer.from(m))).toEqual(
      messages.map((m) => Buffer.from(m)),
    );
  });

  it('writes each length as a u32 big-endian prefix', () => {
    const framer = new BatchFramer();
    framer.append(new Uint8Array([9, 8]));
    expect([...framer.take()!]).toEqual([0, 0, 0, 2, 9, 8]);
  });

  it('has nothing to take when empty, and starts afresh after a take', () => {
    const framer = new BatchFramer();
    expect(framer.take()).toBeUndefined();
    framer.append(new Uint8Array([1]));
    framer.take();
    expect(framer.size).toBe(0);
    expect(framer.take()).toBeUndefined();
  });

  it('decodes a frame that is a view into a larger buffer', () => {
    const backing = Buffer.from([0xff, 0, 0, 0, 1, 42, 0xff]);
    expect(BatchFramer.decode(backing.subarray(1, 6))!.map((m) => [...m])).toEqual([[42]]);
  });

  it.each([
    ['an empty frame', []],
    ['a truncated length prefix', [0, 0, 0]],
    ['a length past the end', [0, 0, 0, 5, 1, 2]],
    ['a valid message followed by a partial prefix', [0, 0, 0, 1, 7, 0, 0]],
    ['a huge length', [0xff, 0xff, 0xff, 0xff, 1]],
  ])('refuses %s without throwing', (_name, bytes) => {
    expect(BatchFramer.decode(Buffer.from(bytes))).toBeUndefined();
  });
});
