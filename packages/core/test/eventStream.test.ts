import {
  createSeededRandom,
  type DeadLetterEvent,
  EventStream,
  receiveMessage,
  SimulatedClock,
  type SystemEvent,
  unhandled,
} from '../src';
import { testSystem } from './testSystem';

const deadLetter = (message: unknown): DeadLetterEvent => ({
  type: 'dead-letter',
  recipient: '/user/x',
  message,
  reason: 'explicit',
  timestamp: 0,
});
const log = (message: string): SystemEvent => ({
  type: 'log',
  level: 'info',
  source: 'x',
  message,
  timestamp: 0,
});

describe('EventStream', () => {
  let consoleError: jest.SpyInstance;
  beforeEach(() => {
    consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => consoleError.mockRestore());

  it('delivers events of a type only to subscribers of that type', () => {
    const stream = new EventStream();
    const dead: unknown[] = [];
    const logs: unknown[] = [];
    stream.subscribe('dead-letter', (e) => dead.push(e.message));
    stream.subscribe('log', (e) => logs.push(e.message));
    stream.publish(deadLetter(1));
    stream.publish(log('hello'));
    stream.publish(deadLetter(2));
    expect(dead).toEqual([1, 2]);
    expect(logs).toEqual(['hello']);
  });

  it("delivers every event to '*' subscribers, in publication order", () => {
    const stream = new EventStream();
    const all: string[] = [];
    stream.subscribe('*', (e) => all.push(e.type));
    stream.publish(deadLetter(1));
    stream.publish(log('x'));
    expect(all).toEqual(['dead-letter', 'log']);
  });

  it('stops delivering to a subscriber once it unsubscribes, and unsubscribing twice is harmless', () => {
    const stream = new EventStream();
    const a: unknown[] = [];
    const b: unknown[] = [];
    const offA = stream.subscribe('dead-letter', (e) => a.push(e.message));
    const offAll = stream.subscribe('*', (e) => b.push((e as DeadLetterEvent).message));
    stream.publish(deadLetter(1));
    offA();
    offA();
    offAll();
    stream.publish(deadLetter(2));
    expect(a).toEqual([1]);
    expect(b).toEqual([1]);
  });

  it('delivers to each subscription separately when the same listener subscribes to two types', () => {
    const stream = new EventStream();
    const got: string[] = [];
    const listener = (e: SystemEvent): void => void got.push(e.type);
    const off = stream.subscribe('dead-letter', listener);
    stream.subscribe('log', listener);
    stream.publish(deadLetter(1));
    stream.publish(log('x'));
    off();
    stream.publish(deadLetter(2));
    stream.publish(log('y'));
    expect(got).toEqual(['dead-letter', 'log', 'log']);
  });

  it('keeps each subscription independent: unsubscribing one leaves another of the same listener active', () => {
    for (const type of ['dead-letter', '*'] as const) {
      const stream = new EventStream();
      const got: unknown[] = [];
      const listener = (e: SystemEvent): void => void got.push((e as DeadLetterEvent).message);
      const first = stream.subscribe(type, listener);
      const second = stream.subscribe(type, listener);
      first();
      stream.publish(deadLetter('after first unsubscribed'));
      expect(got).toContain('after first unsubscribed');
      expect(stream.wants('dead-letter')).toBe(true);
      second();
      got.length = 0;
      stream.publish(deadLetter('after both unsubscribed'));
      expect(got).toEqual([]);
      expect(stream.wants('dead-letter')).toBe(false);
    }
  });

  it('reports whether anyone wants a type', () => {
    const stream = new EventStream();
    expect(stream.wants('dead-letter')).toBe(false);
    const off = stream.subscribe('dead-letter', () => undefined);
    expect(stream.wants('dead-letter')).toBe(true);
    expect(stream.wants('log')).toBe(false);
    off();
    expect(stream.wants('dead-letter')).toBe(false);
    const offAll = stream.subscribe('*', () => undefined);
    expect(stream.wants('log')).toBe(true);
    offAll();
    expect(stream.wants('log')).toBe(false);
  });

  it('keeps delivering to other subscribers when one throws, and reports the error', () => {
    const stream = new EventStream();
    const before: unknown[] = [];
    const after: unknown[] = [];
    const all: unknown[] = [];
    stream.subscribe('dead-letter', (e) => before.push(e.message));
    stream.subscribe('dead-letter', () => {
      throw new Error('broken subscriber');
    });
    stream.subscribe('dead-letter', (e) => after.push(e.message));
    stream.subscribe('*', (e) => all.push((e as DeadLetterEvent).message));
    expect(() => stream.publish(deadLetter(1))).not.toThrow();
    stream.publish(deadLetter(2));
    expect(before).toEqual([1, 2]);
    expect(after).toEqual([1, 2]);
    expect(all).toEqual([1, 2]);
    expect(consoleError).toHaveBeenCalledTimes(2);
  });

  it('does not let a throwing subscriber break the actor that published the event', async () => {
    const { system, settle, eventsOf } = testSystem();
    system.events.subscribe('unhandled', () => {
      throw new Error('broken subscriber');
    });
    const seen: string[] = [];
    const ref = system.spawn(
      receiveMessage<string>((m) => {
        if (m.startsWith('?')) return unhandled();
        seen.push(m);
      }),
    );
    ref.tell('a');
    ref.tell('?1');
    ref.tell('b');
    ref.tell('?2');
    ref.tell('c');
    await settle();
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(eventsOf('unhandled').map((e) => e.message)).toEqual(['?1', '?2']);
    expect(eventsOf('actor-failed')).toEqual([]);
  });

  it('publishes actor lifecycle events on the system stream', async () => {
    const { system, settle } = testSystem();
    const seen: string[] = [];
    const off = system.events.subscribe('*', (e) => {
      if (e.type === 'actor-spawned' || e.type === 'actor-stopped') seen.push(`${e.type} ${e.ref.path}`);
    });
    const ref = system.spawn(
      receiveMessage<string>(() => undefined),
      'life',
    );
    system.stop(ref);
    await settle();
    off();
    system.spawn(
      receiveMessage<string>(() => undefined),
      'unseen',
    );
    expect(seen).toEqual(['actor-spawned /user/life', 'actor-stopped /user/life']);
  });
});

describe('SimulatedClock', () => {
  it('fires timers in order of due time, ties in creation order, each at its own time', () => {
    const clock = new SimulatedClock();
    const fired: [string, number][] = [];
    const at = (name: string, delay: number) =>
      clock.setTimeout(() => fired.push([name, clock.now()]), delay);
    at('c', 30);
    at('a1', 10);
    at('b', 20);
    at('a2', 10);
    at('zero', 0);
    at('a3', 10);
    clock.advance(25);
    expect(fired).toEqual([
      ['zero', 0],
      ['a1', 10],
      ['a2', 10],
      ['a3', 10],
      ['b', 20],
    ]);
    expect(clock.now()).toBe(25);
    clock.advance(100);
    expect(fired[fired.length - 1]).toEqual(['c', 30]);
    expect(clock.now()).toBe(125);
  });

  it('keeps due order and creation order for ties across many timers', () => {
    const clock = new SimulatedClock();
    const random = createSeededRandom(7);
    const planned: { id: number; at: number }[] = [];
    const fired: number[] = [];
    for (let id = 0; id < 500; id++) {
      const at = Math.floor(random.next() * 50);
      planned.push({ id, at });
      clock.setTimeout(() => fired.push(id), at);
    }
    clock.advance(50);
    const expected = [...planned].sort((x, y) => x.at - y.at || x.id - y.id).map((p) => p.id);
    expect(fired).toEqual(expected);
  });

  it('does not fire a timer before it is due', () => {
    const clock = new SimulatedClock(1000);
    let fired = false;
    clock.setTimeout(() => (fired = true), 100);
    clock.advance(99);
    expect(fired).toBe(false);
    expect(clock.now()).toBe(1099);
    clock.advance(1);
    expect(fired).toBe(true);
  });

  it('does not fire a cleared timer, and counts only live timers as pending', () => {
    const clock = new SimulatedClock();
    const fired: string[] = [];
    const a = clock.setTimeout(() => fired.push('a'), 10);
    clock.setTimeout(() => fired.push('b'), 20);
    expect(clock.pendingTimers).toBe(2);
    clock.clearTimeout(a);
    expect(clock.pendingTimers).toBe(1);
    expect(clock.nextTimerAt()).toBe(20);
    clock.advance(100);
    expect(fired).toEqual(['b']);
    expect(clock.pendingTimers).toBe(0);
    expect(clock.nextTimerAt()).toBeUndefined();
  });

  it('fires timers set by a firing timer within the same advance when they fall due', () => {
    const clock = new SimulatedClock();
    const fired: [string, number][] = [];
    clock.setTimeout(() => {
      fired.push(['first', clock.now()]);
      clock.setTimeout(() => fired.push(['chained', clock.now()]), 5);
      clock.setTimeout(() => fired.push(['too late', clock.now()]), 50);
    }, 10);
    clock.advance(20);
    expect(fired).toEqual([
      ['first', 10],
      ['chained', 15],
    ]);
  });

  it('fireNext moves time to the next timer and reports whether there was one', () => {
    const clock = new SimulatedClock();
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 40);
    clock.setTimeout(() => fired.push(clock.now()), 15);
    expect(clock.fireNext()).toBe(true);
    expect(fired).toEqual([15]);
    expect(clock.now()).toBe(15);
    expect(clock.fireNext()).toBe(true);
    expect(clock.fireNext()).toBe(false);
    expect(fired).toEqual([15, 40]);
  });

  it('never moves backwards, and refuses a negative advance', () => {
    const clock = new SimulatedClock(500);
    clock.advanceTo(100);
    expect(clock.now()).toBe(500);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('treats a negative delay as zero', () => {
    const clock = new SimulatedClock(100);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), -50);
    clock.advance(0);
    expect(fired).toEqual([100]);
  });
});

describe('createSeededRandom', () => {
  const take = (seed: number, n = 1000) => {
    const r = createSeededRandom(seed);
    return Array.from({ length: n }, () => r.next());
  };

  it('gives the same sequence for the same seed', () => {
    expect(take(42)).toEqual(take(42));
    expect(take(0)).toEqual(take(0));
  });

  it('gives a different sequence for a different seed', () => {
    const a = take(42);
    const b = take(43);
    expect(a).not.toEqual(b);
    expect(a.filter((x, i) => x === b[i]).length).toBeLessThan(5);
  });

  it('gives numbers in [0, 1) that spread over the whole range', () => {
    for (const seed of [0, 1, 42, -7, 2 ** 32 - 1, 123456789]) {
      const xs = take(seed, 10_000);
      expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...xs)).toBeLessThan(1);
      const buckets = new Array<number>(10).fill(0);
      for (const x of xs) buckets[Math.floor(x * 10)]++;
      for (const b of buckets) expect(b).toBeGreaterThan(800);
      expect(new Set(xs).size).toBeGreaterThan(9_990);
    }
  });
});
