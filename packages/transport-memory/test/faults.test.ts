import { ConnectFailedError, type Connection, TransportClosedError } from '@troupe/transport';
import { msg, num, type SimNode, simulatedNetwork } from './simulatedNetwork';

const range = (n: number) => [...Array(n).keys()];

/** Four nodes in a full mesh exchanging 2,400 messages with every fault on, a partition and a heal midway. */
async function busyRun(seed: number) {
  const sim = simulatedNetwork({ seed });
  // Every multiple of 7 is answered, so arrivals cause sends, as they would with actors on top.
  const nodes: SimNode[] = [];
  for (let i = 0; i < 4; i++) nodes.push(await sim.node({ echo: (n) => (n % 7 === 0 ? n + 1 : undefined) }));
  const conns = new Map<string, Connection>();
  for (let i = 0; i < 4; i++)
    for (let j = i + 1; j < 4; j++) {
      const [there, back] = await sim.connect(nodes[i], nodes[j]);
      conns.set(`${i}>${j}`, there);
      conns.set(`${j}>${i}`, back);
    }
  sim.net.setFaults({ dropRate: 0.1, duplicateRate: 0.1, reorderRate: 0.1, delay: { minMs: 1, maxMs: 30 } });
  sim.net.setLinkFaults(nodes[0].address, nodes[1].address, { delay: (random) => random.next() * 100 });
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++)
        if (i !== j)
          for (let k = 0; k < 10; k++) conns.get(`${i}>${j}`)!.send(msg(i * 1e6 + j * 1e5 + round * 100 + k));
    if (round === 8) sim.net.partition([nodes[0].address], [nodes[2].address, nodes[3].address]);
    if (round === 12) sim.net.heal();
    await sim.advance(7);
  }
  await sim.runUntilQuiet();
  const { sent, delivered, dropped, duplicated, inFlight } = sim.net.stats();
  expect(inFlight).toBe(0);
  expect(sent + duplicated).toBe(delivered + dropped);
  expect(delivered).toBe(sim.arrivals.length);
  return {
    trace: sim.arrivals.map((a) => `${a.at} ${a.from}>${a.to} ${num(a.bytes)}`),
    stats: sim.net.stats(),
  };
}

describe('determinism', () => {
  it('gives the identical delivery trace (who, what, at which virtual time) for the same seed, and another for another seed', async () => {
    const first = await busyRun(42);
    const again = await busyRun(42);
    const other = await busyRun(43);
    expect(first.trace.length).toBeGreaterThan(2000);
    expect(first.stats.dropped).toBeGreaterThan(0);
    expect(first.stats.duplicated).toBeGreaterThan(0);
    expect(again.trace).toEqual(first.trace);
    expect(again.stats).toEqual(first.stats);
    expect(other.trace).not.toEqual(first.trace);
    // Three runs of thousands of steps: half a second normally, far more under --detectOpenHandles.
  }, 30_000);
});

describe('drop', () => {
  it('drops roughly 30% of 10,000 messages at dropRate 0.3 and keeps the rest in order', async () => {
    const sim = simulatedNetwork({ seed: 1 });
    const a = await sim.node();
    const b = await sim.node();
    const [conn] = await sim.connect(a, b);
    sim.net.setFaults({ dropRate: 0.3 });
    const results = new Set(range(10_000).map((i) => conn.send(msg(i))));
    expect(results).toEqual(new Set(['ok']));
    await sim.settle();
    const got = b.from(a.address);
    expect(got.length).toBeGreaterThan(6_700);
    expect(got.length).toBeLessThan(7_300);
    expect(got).toEqual([...got].sort((x, y) => x - y));
    expect(new Set(got).size).toBe(got.length);
    expect(sim.net.stats()).toEqual({
      sent: 10_000,
      delivered: got.length,
      dropped: 10_000 - got.length,
      duplicated: 0,
      inFlight: 0,
    });
  });

  it('drops nothing at dropRate 0', async () => {
    const sim = simulatedNetwork({ seed: 1 });
    const a = await sim.node();
    const b = await sim.node();
    const [conn] = await sim.connect(a, b);
    sim.net.setFaults({ dropRate: 0 });
    for (let i = 0; i < 10_000; i++) conn.send(msg(i));
    await sim.settle();
    expect(b.from(a.address)).toEqual(range(10_000));
    expect(sim.net.stats().dropped).toBe(0);
  });

  it('drops only on the link it was set for, in that direction', async () => {
    const sim = simulatedNetwork({ seed: 1 });
    const a = await sim.node();
    const b = await sim.node();
    const [there, back] = await sim.connect(a, b);
    sim.net.setLinkFaults(a.address, b.address, { dropRate: 1 });
    for (let i = 0; i < 100; i++) {
      there.send(msg(i));
      back.send(msg(i));
    }
    await sim.settle();
    expect(b.from(a.address)).toEqual([]);
    expect(a.from(b.address)).toEqual(range(100));
    sim.net.clearFaults();
    there.send(msg(7));
    await sim.settle();
    expect(b.from(a.address)).toEqual([7]);
  });
});

describe('duplicate', () => {
  it('delivers some messages twice, and every message at least once', async () => {
    const sim = simulatedNetwork({ seed: 2 });
    const a = await sim.node();
    const b = await sim.node();
    const [conn] = await sim.connect(a, b);
    sim.net.setFaults({ duplicateRate: 0.2 });
    for (let i = 0; i < 1_000; i++) conn.send(msg(i));
    await sim.settle();
    const got = b.from(a.address);
    const counts = new Map<number, number>();
    for (const n of got) counts.set(n, (counts.get(n) ?? 0) + 1);
    expect([...counts.keys()].sort((x, y) => x - y)).toEqual(range(1_000));
    const twice = [...counts.values()].filter((c) => c === 2).length;
    expect(twice).toBeGreaterThan(100);
    expect(Math.max(...counts.values())).toBe(2);
    expect(sim.net.stats().duplicated).toBe(twice);
    expect(got.length).toBe(1_000 + twice);
  });

  it('hands each copy its own bytes', async () => {
    const sim = simulatedNetwork({ seed: 2 });
    const a = await sim.node();
    const b = await sim.node();
    const [conn] = await sim.connect(a, b);
    sim.net.setFaults({ duplicateRate: 1 });
    conn.send(msg(5));
    await sim.settle();
    const [first, second] = b.arrivals.map((x) => x.bytes);
    expect(first).not.toBe(second);
    first.fill(0);
    expect(num(second)).toBe(5);
  });
});

describe('reorder', () => {
  it('changes the order but delivers every message exactly once', async () => {
    const sim = simulatedNetwork({ seed: 3 });
    const a = await sim.node();
    const b = await sim.node();
    const [conn] = await sim.connect(a, b);
    sim.net.setFaults({ reorderRate: 0.2 });
    for (let i = 0; i < 1_000; i++) conn.send(msg(i));
    await sim.settle();
    // The held-back ones wait for virtual time; the others already overtook them.
    const early = b.from(a.address).length;
    expect(early).toBeGreaterThan(700);
    expect(early).toBeLessThan(900);
    await sim.runUntilQuiet();
    const got = b.from(a.address);
    expect(got).not.toEqual(range(1_000));
    expect([...got].sort((x, y) => x - y)).toEqual(range(1_000));
  });
});

describe('delay', () => {
  it('delivers nothing before the clock moves, then everything in order at virtual times within [min, max]', async () => {
    const sim = simulatedNetwork({ seed: 4 });
    const a = await sim.node();
    const b = await sim.node();
    const [conn] = await sim.connect(a, b);
    sim.net.setFaults({ delay: { minMs: 20, maxMs: 80 } });
    const sentAt = sim.clock.now();
    for (let i = 0; i < 200; i++) conn.send(msg(i));
    await sim.settle();
    expect(b.arrivals).toEqual([]);
    expect(conn.bufferedAmount).toBe(800);
    await sim.advance(19);
    expect(b.arrivals).toEqual([]);
    await sim.runUntilQuiet();
    expect(b.from(a.address)).toEqual(range(200));
    for (const { at } of b.arrivals) {
      expect(at - sentAt).toBeGreaterThanOrEqual(20);
      expect(at - sentAt).toBeLessThanOrEqual(80);
    }
    expect(conn.bufferedAmount).toBe(0);
  });

  it('keeps each message within [min, max] of its own sending, in order, even when a slow one holds up the next', async () => {
    const sim = simulatedNetwork({ seed: 4 });
    const a = await sim.node();
    const b = await sim.node();
    const [conn] = await sim.connect(a, b);
    sim.net.setFaults({ delay: { minMs: 20, maxMs: 80 } });
    const sentAt: number[] = [];
    for (let i = 0; i < 100; i++) {
      sentAt.push(sim.clock.now());
      conn.send(msg(i));
      await sim.advance(5);
    }
    await sim.runUntilQuiet();
    expect(b.from(a.address)).toEqual(range(100));
    const latencies = b.arrivals.map((x, i) => x.at - sentAt[i]);
    for (const latency of latencies) {
      expect(latency).toBeGreaterThanOrEqual(20);
      expect(latency).toBeLessThanOrEqual(80);
    }
    expect(new Set(latencies.map(Math.round)).size).toBeGreaterThan(10);
  });

  it('takes a delay drawn by a function from the network random source', async () => {
    const sim = simulatedNetwork({ seed: 4 });
    const a = await sim.node();
    const b = await sim.node();
    const [conn] = await sim.connect(a, b);
    sim.net.setFaults({ delay: (random) => (random.next() < 0.5 ? 10 : 50) });
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const sentAt = sim.clock.now();
      conn.send(msg(i));
      await sim.advance(100);
      latencies.push(b.arrivals[i].at - sentAt);
    }
    expect(b.from(a.address)).toEqual(range(20));
    expect(new Set(latencies)).toEqual(new Set([10, 50]));
  });

  it('makes a graceful close wait until what is on its way has arrived', async () => {
    const sim = simulatedNetwork({ seed: 4 });
    const a = await sim.node();
    const b = await sim.node();
    const [conn] = await sim.connect(a, b);
    sim.net.setFaults({ delay: { minMs: 50, maxMs: 50 } });
    conn.send(msg(1));
    let closed = false;
    void conn.close(1000, 'done').then(() => (closed = true));
    expect(conn.send(msg(2))).toBe('closed');
    await sim.advance(49);
    expect(closed).toBe(false);
    expect(b.closes).toEqual([]);
    await sim.advance(1);
    expect(closed).toBe(true);
    expect(b.from(a.address)).toEqual([1]);
    expect(b.closes).toEqual([{ code: 1000, reason: 'done', peer: a.address }]);
    expect(a.closes).toEqual([{ code: 1000, reason: 'done', peer: b.address }]);
  });
});

describe('partition', () => {
  it('drops messages both ways, those on their way included, without closing the connection', async () => {
    const sim = simulatedNetwork({ seed: 5 });
    const a = await sim.node();
    const b = await sim.node();
    const [there, back] = await sim.connect(a, b);
    sim.net.setFaults({ delay: { minMs: 10, maxMs: 10 } });
    there.send(msg(1)); // on its way when the partition comes
    sim.net.partition([a.address], [b.address]);
    expect(there.send(msg(2))).toBe('ok');
    expect(back.send(msg(3))).toBe('ok');
    await sim.runUntilQuiet();
    expect(b.arrivals).toEqual([]);
    expect(a.arrivals).toEqual([]);
    expect(a.closes).toEqual([]);
    expect(b.closes).toEqual([]);
    expect(sim.net.stats()).toMatchObject({ sent: 3, delivered: 0, dropped: 3, inFlight: 0 });
  });

  it('refuses new connects across it with ConnectFailedError, and heal restores delivery on the same connection', async () => {
    const sim = simulatedNetwork({ seed: 5 });
    const a = await sim.node();
    const b = await sim.node();
    const c = await sim.node();
    const [conn] = await sim.connect(a, b);
    sim.net.partition([a.address], [b.address, c.address]);
    const err = await a.transport.connect(c.address).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectFailedError);
    expect(err.code).toBe('TRANSPORT_ERR_CONNECT');
    await expect(c.transport.connect(a.address)).rejects.toBeInstanceOf(ConnectFailedError);
    // Nodes on the same side still talk.
    await sim.connect(b, c);
    conn.send(msg(1));
    await sim.settle();
    expect(b.from(a.address)).toEqual([]);

    sim.net.heal();
    conn.send(msg(2));
    await sim.settle();
    expect(b.from(a.address)).toEqual([2]);
    expect(await a.transport.connect(b.address)).toBe(conn);
    await sim.connect(a, c);
  });

  it('isolates one node from every other, and heal ends it', async () => {
    const sim = simulatedNetwork({ seed: 5 });
    const [a, b, c] = [await sim.node(), await sim.node(), await sim.node()];
    const [ab, ba] = await sim.connect(a, b);
    const [cb] = await sim.connect(c, b);
    const [ac] = await sim.connect(a, c);
    sim.net.isolate(b.address);
    ab.send(msg(1));
    ba.send(msg(2));
    cb.send(msg(3));
    ac.send(msg(4));
    await sim.settle();
    expect(b.arrivals).toEqual([]);
    expect(a.from(b.address)).toEqual([]);
    expect(c.from(a.address)).toEqual([4]);
    const d = await sim.node();
    await expect(d.transport.connect(b.address)).rejects.toBeInstanceOf(ConnectFailedError);
    await expect(b.transport.connect(d.address)).rejects.toBeInstanceOf(ConnectFailedError);

    sim.net.heal();
    ab.send(msg(5));
    await sim.settle();
    expect(b.from(a.address)).toEqual([5]);
  });
});

describe('crash', () => {
  it("closes the peers' connections with 1006 and lets a restarted node at the same address be dialled with a new incarnation", async () => {
    const sim = simulatedNetwork({ seed: 6 });
    const a = await sim.node();
    const b = await sim.node({ incarnation: 'b-1' });
    const c = await sim.node();
    const [ab] = await sim.connect(a, b);
    await sim.connect(c, b);
    sim.net.setFaults({ delay: { minMs: 10, maxMs: 10 } });
    ab.send(msg(1)); // lost with the node
    expect(sim.net.crash(b.address)).toBe(true);
    expect(ab.send(msg(2))).toBe('closed');
    await sim.settle();
    expect(a.closes).toEqual([expect.objectContaining({ code: 1006, peer: b.address })]);
    expect(c.closes).toEqual([expect.objectContaining({ code: 1006, peer: b.address })]);
    expect(sim.net.stats()).toMatchObject({ delivered: 0, dropped: 1, inFlight: 0 });
    await expect(b.transport.connect(a.address)).rejects.toBeInstanceOf(TransportClosedError);
    await expect(a.transport.connect(b.address)).rejects.toBeInstanceOf(ConnectFailedError);

    const reborn = await sim.node({ address: b.address, incarnation: 'b-2' });
    sim.net.clearFaults();
    const [again] = await sim.connect(a, reborn);
    expect(again).not.toBe(ab);
    expect(again.peer).toEqual({ system: 'sim', incarnation: 'b-2', address: b.address });
    again.send(msg(3));
    await sim.settle();
    expect(reborn.from(a.address)).toEqual([3]);
    expect(b.arrivals).toEqual([]);
  });

  it('answers false for an address nobody holds', () => {
    const sim = simulatedNetwork();
    expect(sim.net.crash('nobody')).toBe(false);
  });
});

describe('backpressure', () => {
  it("answers 'backpressure' once the bytes on their way reach maxBufferedBytes, and 'ok' again once they arrived", async () => {
    const sim = simulatedNetwork({ seed: 7 });
    const a = await sim.node({ maxBufferedBytes: 1_000 });
    const b = await sim.node();
    const [conn] = await sim.connect(a, b);
    sim.net.setFaults({ delay: { minMs: 1e6, maxMs: 1e6 } });
    for (let i = 0; i < 10; i++) expect(conn.send(new Uint8Array(100))).toBe('ok');
    expect(conn.bufferedAmount).toBe(1_000);
    expect(conn.send(new Uint8Array(100))).toBe('backpressure');
    expect(conn.send(new Uint8Array(1))).toBe('backpressure');
    expect(sim.net.stats().sent).toBe(10);
    await sim.advance(1e6);
    expect(b.arrivals.length).toBe(10);
    expect(conn.bufferedAmount).toBe(0);
    expect(conn.send(new Uint8Array(100))).toBe('ok');
  });
});

describe('fault settings', () => {
  it('refuses rates outside [0, 1] and inverted delay ranges with RangeError', () => {
    const { net } = simulatedNetwork();
    expect(() => net.setFaults({ dropRate: 1.5 })).toThrow(RangeError);
    expect(() => net.setFaults({ reorderRate: -0.1 })).toThrow(RangeError);
    expect(() => net.setLinkFaults('a', 'b', { duplicateRate: NaN })).toThrow(RangeError);
    expect(() => net.setFaults({ delay: { minMs: 10, maxMs: 5 } })).toThrow(RangeError);
    expect(() => net.partition(['a', 'b'], ['b'])).toThrow(RangeError);
  });
});
