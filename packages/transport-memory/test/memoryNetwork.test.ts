import {
  ConnectFailedError,
  type Connection,
  type SendResult,
  TransportClosedError,
} from '@troupe/transport';
import { eventually } from '../../transport/conformance/transportConformance';
import { type DeliveryScheduler, MemoryNetwork } from '../src';
import { msg, num, simulatedNetwork } from './simulatedNetwork';

const range = (n: number) => [...Array(n).keys()];
const realNetworks: MemoryNetwork[] = [];
afterEach(() => {
  for (const net of realNetworks.splice(0)) net.shutdown();
});

/** A network on the real clock, shut down after the test. */
function realNetwork(options?: ConstructorParameters<typeof MemoryNetwork>[0]): MemoryNetwork {
  const net = new MemoryNetwork(options);
  realNetworks.push(net);
  return net;
}

describe('addresses', () => {
  it("hands out 'mem-1', 'mem-2', ... and skips the ones taken by name", () => {
    const net = realNetwork();
    expect(net.transport().address).toBe('mem-1');
    expect(net.transport({ address: 'mem-3' }).address).toBe('mem-3');
    expect(net.transport().address).toBe('mem-2');
    expect(net.transport().address).toBe('mem-4');
  });

  it('refuses an address held by a live transport, and frees it once that transport closed', async () => {
    const net = realNetwork();
    const first = net.transport({ address: 'shop-1' });
    expect(() => net.transport({ address: 'shop-1' })).toThrow(/held by a live transport/);
    await first.close();
    expect(net.transport({ address: 'shop-1' }).address).toBe('shop-1');
    expect(() => net.transport({ address: '' })).toThrow(RangeError);
    expect(() => net.transport({ maxMessageBytes: 0 })).toThrow(RangeError);
  });

  it('refuses to connect before listening, and refuses to listen twice or after close', async () => {
    const net = realNetwork();
    const a = net.transport();
    const b = net.transport();
    await expect(a.connect(b.address)).rejects.toBeInstanceOf(TransportClosedError);
    await a.listen({ system: 's', incarnation: 'a' }, { onConnection: () => {} });
    // b holds its address but does not listen yet: nobody answers there.
    await expect(a.connect(b.address)).rejects.toBeInstanceOf(ConnectFailedError);
    await expect(a.connect(a.address)).rejects.toBeInstanceOf(ConnectFailedError);
    await expect(a.listen({ system: 's', incarnation: 'a' }, { onConnection: () => {} })).rejects.toThrow(
      /already listening/,
    );
    await a.close();
    await expect(
      a.listen({ system: 's', incarnation: 'a' }, { onConnection: () => {} }),
    ).rejects.toBeInstanceOf(TransportClosedError);
  });
});

describe('messages', () => {
  it('copies the bytes on send, so changing the buffer afterwards changes nothing that arrives', async () => {
    const sim = simulatedNetwork();
    const a = await sim.node();
    const b = await sim.node();
    const [conn] = await sim.connect(a, b);
    const buffer = Buffer.from([1, 2, 3, 4]);
    const view = new Uint8Array(8).subarray(2, 6);
    view.set([5, 6, 7, 8]);
    conn.send(buffer);
    conn.send(view);
    buffer.fill(0);
    view.fill(0);
    await sim.settle();
    expect(b.arrivals.map((x) => [...x.bytes])).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
  });

  it('refuses a message over either side’s limit, in both directions', async () => {
    const sim = simulatedNetwork();
    const small = await sim.node({ maxMessageBytes: 100 });
    const large = await sim.node({ maxMessageBytes: 1_000 });
    const [there, back] = await sim.connect(large, small);
    expect(there.send(new Uint8Array(101))).toBe('too-large');
    expect(back.send(new Uint8Array(101))).toBe('too-large');
    expect(there.send(new Uint8Array(100))).toBe('ok');
  });

  it('counts in bufferedAmount the bytes sent and not yet delivered', async () => {
    const sim = simulatedNetwork();
    const a = await sim.node();
    const b = await sim.node();
    const [conn] = await sim.connect(a, b);
    conn.send(new Uint8Array(10));
    conn.send(new Uint8Array(20));
    expect(conn.bufferedAmount).toBe(30);
    await sim.settle();
    expect(conn.bufferedAmount).toBe(0);
  });

  it('keeps delivering to the others when a listener throws, and rethrows the error on its own', async () => {
    const sim = simulatedNetwork();
    const a = await sim.node();
    const b = await sim.node();
    const [conn, theirs] = await sim.connect(a, b);
    const got: number[] = [];
    theirs.onMessage((bytes) => {
      if (num(bytes) === 1) throw new Error('listener bug');
      got.push(num(bytes));
    });
    const rethrown: (() => void)[] = [];
    const spy = jest.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => rethrown.push(task));
    try {
      for (let i = 0; i < 3; i++) conn.send(msg(i));
      await sim.settle();
    } finally {
      spy.mockRestore();
    }
    expect(got).toEqual([0, 2]);
    expect(rethrown).toHaveLength(1);
    expect(rethrown[0]).toThrow('listener bug');
  });

  it('delivers a flood of messages on the real clock with a handful of timers, not one per message', async () => {
    const net = realNetwork();
    const a = net.transport();
    const b = net.transport();
    let received = 0;
    await b.listen({ system: 's', incarnation: 'b' }, { onConnection: (c) => c.onMessage(() => received++) });
    await a.listen({ system: 's', incarnation: 'a' }, { onConnection: () => {} });
    const conn = await a.connect(b.address);
    const payload = new Uint8Array(64);
    // Counted rather than timed: a timer per message is what made a flood take seconds.
    const timeouts = jest.spyOn(global, 'setTimeout');
    const immediates = jest.spyOn(global, 'setImmediate');
    try {
      for (let i = 0; i < 100_000; i++) conn.send(payload);
      await eventually(() => received === 100_000);
      expect(received).toBe(100_000);
      expect(immediates.mock.calls.length + timeouts.mock.calls.length).toBeLessThan(1_000);
    } finally {
      timeouts.mockRestore();
      immediates.mockRestore();
    }
  });
});

describe('connections', () => {
  it('makes one connection when two nodes dial each other at once, and reports the crossed dial', async () => {
    const sim = simulatedNetwork();
    const a = await sim.node();
    const b = await sim.node();
    const [ab, ba] = await Promise.all([a.transport.connect(b.address), b.transport.connect(a.address)]);
    await sim.settle();
    expect(a.connections).toEqual([ab]);
    expect(b.connections).toEqual([ba]);
    expect(ab.inbound).toBe(false);
    expect(ba.inbound).toBe(true);
    expect(b.events).toContainEqual(
      expect.objectContaining({ type: 'duplicate-connection', peer: a.address }),
    );
    expect(a.closes).toEqual([]);
    expect(b.closes).toEqual([]);
  });

  it('delivers what both sides had sent before a graceful close by either side', async () => {
    const sim = simulatedNetwork();
    const a = await sim.node();
    const b = await sim.node();
    const [there, back] = await sim.connect(a, b);
    sim.net.setFaults({ delay: { minMs: 5, maxMs: 10 } });
    for (let i = 0; i < 10; i++) {
      there.send(msg(i));
      back.send(msg(i));
    }
    const closing = back.close();
    expect(there.send(msg(99))).toBe('closed');
    await sim.runUntilQuiet();
    await closing;
    expect(b.from(a.address)).toEqual(range(10));
    expect(a.from(b.address)).toEqual(range(10));
  });

  it('calls onClose exactly once per side, however many times it is closed, and delivers nothing after it', async () => {
    const sim = simulatedNetwork();
    const a = await sim.node();
    const b = await sim.node();
    const [conn] = await sim.connect(a, b);
    sim.net.setFaults({ delay: { minMs: 10, maxMs: 10 } });
    conn.send(msg(1));
    conn.terminate();
    conn.terminate();
    await conn.close();
    await a.transport.close();
    await sim.runUntilQuiet();
    expect(a.closes).toEqual([{ code: 1006, reason: 'terminated', peer: b.address }]);
    expect(b.closes).toEqual([{ code: 1006, reason: 'terminated', peer: a.address }]);
    expect(b.arrivals).toEqual([]);
    expect(sim.net.stats()).toMatchObject({ sent: 1, delivered: 0, dropped: 1, inFlight: 0 });
    expect(a.events).toContainEqual({
      type: 'connection-closed',
      peer: b.address,
      code: 'abnormalClosure',
      detail: 'terminated',
    });
  });

  it('tells an onClose listener set after the close', async () => {
    const sim = simulatedNetwork();
    const net = sim.net;
    const a = net.transport();
    const b = net.transport();
    await b.listen({ system: 's', incarnation: 'b' }, { onConnection: () => {} });
    await a.listen({ system: 's', incarnation: 'a' }, { onConnection: () => {} });
    const conn = await a.connect(b.address);
    await conn.close(1000, 'early');
    const heard: number[] = [];
    conn.onClose((info) => heard.push(info.code));
    await sim.settle();
    expect(heard).toEqual([1000]);
  });

  it('tells the accepting side why a peer of another system was refused', async () => {
    const sim = simulatedNetwork();
    const a = await sim.node({ system: 'one' });
    const b = await sim.node({ system: 'two' });
    await expect(a.transport.connect(b.address)).rejects.toMatchObject({
      code: 'TRANSPORT_ERR_SYSTEM_MISMATCH',
      expected: 'one',
      actual: 'two',
    });
    expect(b.events).toContainEqual(
      expect.objectContaining({
        type: 'handshake-failed',
        peer: a.address,
        code: 'TRANSPORT_ERR_SYSTEM_MISMATCH',
      }),
    );
  });
});

describe('the scheduler seam', () => {
  it('lets a custom scheduler run every step, in any order, while each connection keeps its order', async () => {
    const steps: { delayMs: number; run: () => void }[] = [];
    const scheduler: DeliveryScheduler = { schedule: (delayMs, run) => steps.push({ delayMs, run }) };
    const net = realNetwork({ scheduler, seed: 9 });
    const runAll = () => {
      // Latest first: the worst order for a FIFO that relied on the scheduler.
      while (steps.length > 0) for (const step of steps.splice(0).reverse()) step.run();
    };
    const a = net.transport();
    const b = net.transport();
    const got: number[] = [];
    await b.listen(
      { system: 's', incarnation: 'b' },
      { onConnection: (c) => c.onMessage((m) => got.push(num(m))) },
    );
    await a.listen({ system: 's', incarnation: 'a' }, { onConnection: () => {} });
    let conn: Connection | undefined;
    const connecting = a.connect(b.address).then((c) => (conn = c));
    await new Promise((resolve) => setImmediate(resolve));
    expect(conn).toBeUndefined();
    expect(steps).toHaveLength(1);
    runAll();
    await connecting;
    net.setFaults({ delay: { minMs: 1, maxMs: 50 } });
    for (let i = 0; i < 100; i++) conn!.send(msg(i));
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toEqual([]);
    expect(steps.every((s) => s.delayMs >= 1 && s.delayMs <= 50)).toBe(true);
    runAll();
    expect(got).toEqual(range(100));
  });
});

describe('shutdown', () => {
  it('rejects pending connects, drops what is on its way, cancels its timers and calls no listener any more', async () => {
    const net = realNetwork();
    const a = net.transport();
    const b = net.transport();
    const heard: string[] = [];
    await b.listen(
      { system: 's', incarnation: 'b' },
      { onConnection: (c) => c.onClose(() => heard.push('b')) },
    );
    await a.listen(
      { system: 's', incarnation: 'a' },
      { onConnection: (c) => c.onClose(() => heard.push('a')) },
    );
    const conn = await a.connect(b.address);
    net.setFaults({ delay: { minMs: 3_600_000, maxMs: 3_600_000 } });
    const results: SendResult[] = [conn.send(msg(1))];
    const c = net.transport();
    await c.listen(
      { system: 's', incarnation: 'c' },
      { onConnection: (x) => x.onClose(() => heard.push('c')) },
    );
    const cb = await c.connect(b.address);
    cb.terminate(); // its close notification is still pending at the shutdown
    const pending = c.connect(a.address);
    net.shutdown();
    await expect(cb.close()).resolves.toBeUndefined();
    await expect(pending).rejects.toBeInstanceOf(TransportClosedError);
    results.push(conn.send(msg(2)));
    expect(results).toEqual(['ok', 'closed']);
    expect(net.stats()).toMatchObject({ sent: 1, dropped: 1, inFlight: 0 });
    await a.close();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(heard).toEqual([]);
    expect(() => net.transport()).toThrow(/shut down/);
  });
});
