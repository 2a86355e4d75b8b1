import {
  type ActorContext,
  type ActorSystemOptions,
  createActorSystem,
  InvalidArgumentError,
  receive,
  receiveMessage,
  setup,
  stopped,
} from '../src';
import { flushPromises, testSystem } from './testSystem';

describe('bounded mailboxes', () => {
  it('drop the newest messages when full (drop-newest, the default), as dead letters with reason mailbox-full', async () => {
    const { system, settle, eventsOf } = testSystem();
    const handled: number[] = [];
    const ref = system.spawn(
      receiveMessage<number>((n) => void handled.push(n)),
      { name: 'bounded', mailbox: { capacity: 3 } },
    );
    for (let i = 1; i <= 5; i++) ref.tell(i);
    await settle();
    expect(handled).toEqual([1, 2, 3]);
    expect(eventsOf('dead-letter').map((d) => [d.recipient, d.message, d.reason])).toEqual([
      ['/user/bounded', 4, 'mailbox-full'],
      ['/user/bounded', 5, 'mailbox-full'],
    ]);
  });

  it('drop the oldest messages when full with drop-oldest, as dead letters with reason dropped-oldest', async () => {
    const { system, settle, eventsOf } = testSystem();
    const handled: number[] = [];
    const ref = system.spawn(
      receiveMessage<number>((n) => void handled.push(n)),
      { name: 'bounded', mailbox: { capacity: 3, overflow: 'drop-oldest' } },
    );
    for (let i = 1; i <= 5; i++) ref.tell(i);
    await settle();
    expect(handled).toEqual([3, 4, 5]);
    expect(eventsOf('dead-letter').map((d) => [d.recipient, d.message, d.reason])).toEqual([
      ['/user/bounded', 1, 'dropped-oldest'],
      ['/user/bounded', 2, 'dropped-oldest'],
    ]);
  });

  it('accept messages again once the actor has made room', async () => {
    const { system, settle, eventsOf } = testSystem();
    const handled: number[] = [];
    const ref = system.spawn(
      receiveMessage<number>((n) => void handled.push(n)),
      { mailbox: { capacity: 2 } },
    );
    ref.tell(1);
    ref.tell(2);
    ref.tell(3);
    await settle();
    ref.tell(4);
    ref.tell(5);
    await settle();
    expect(handled).toEqual([1, 2, 4, 5]);
    expect(eventsOf('dead-letter').map((d) => d.message)).toEqual([3]);
  });

  it('count messages waiting while an async handler holds the mailbox', async () => {
    const { system, settle, eventsOf } = testSystem();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handled: number[] = [];
    const ref = system.spawn(
      receiveMessage<number>((n) => {
        handled.push(n);
        if (n === 0) return gate;
      }),
      { mailbox: { capacity: 2 } },
    );
    ref.tell(0);
    await settle();
    for (let i = 1; i <= 4; i++) ref.tell(i);
    release();
    await settle();
    expect(handled).toEqual([0, 1, 2]);
    expect(eventsOf('dead-letter').map((d) => [d.message, d.reason])).toEqual([
      [3, 'mailbox-full'],
      [4, 'mailbox-full'],
    ]);
  });

  it('never drop a Terminated notice waiting in a full drop-oldest mailbox', async () => {
    const { system, settle, eventsOf } = testSystem();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const target = system.spawn(
      receiveMessage<string>(() => undefined),
      'target',
    );
    const watcher = system.spawn(
      receive<string>(
        (ctx, m) => {
          if (m === 'watch') ctx.watch(target);
          else if (m === 'hold') return gate;
          else log.push(m);
        },
        (_ctx, s) => {
          if (s.type === 'Terminated') log.push(`terminated ${s.ref.path}`);
        },
      ),
      { name: 'watcher', mailbox: { capacity: 2, overflow: 'drop-oldest' } },
    );
    watcher.tell('watch');
    watcher.tell('hold');
    await settle();
    system.stop(target); // the notice is queued while 'hold' holds the mailbox
    await settle();
    for (const m of ['a', 'b', 'c']) watcher.tell(m);
    release();
    await settle();
    expect(log).toContain('terminated /user/target');
    expect(log.filter((l) => l.startsWith('terminated'))).toHaveLength(1);
    for (const d of eventsOf('dead-letter')) expect(typeof d.message).toBe('string');
  });

  it('never drop a timer tick waiting in a full drop-oldest mailbox in favour of user messages', async () => {
    const { system, settle, clock, eventsOf } = testSystem();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ref = system.spawn(
      receive<string>((ctx, m) => {
        if (m === 'start') ctx.timers.startSingleTimer('k', 'tick', 10);
        else if (m === 'hold') return gate;
        else log.push(m);
      }),
      { mailbox: { capacity: 2, overflow: 'drop-oldest' } },
    );
    ref.tell('start');
    ref.tell('hold');
    await settle();
    clock.advance(10); // the tick is queued while 'hold' holds the mailbox
    for (const m of ['a', 'b', 'c']) ref.tell(m);
    release();
    await settle();
    expect(log).toContain('tick');
    for (const d of eventsOf('dead-letter')) expect(typeof d.message).toBe('string');
  });

  it.each([[0], [-1], [NaN]])('refuse a capacity of %p with InvalidArgumentError', (capacity) => {
    const { system } = testSystem();
    expect(() =>
      system.spawn(
        receiveMessage<number>(() => undefined),
        { mailbox: { capacity } },
      ),
    ).toThrow(InvalidArgumentError);
  });
});

describe('messages to stopped actors', () => {
  it('turns messages still queued when an actor stops into dead letters with reason recipient-terminated', async () => {
    const { system, settle, eventsOf } = testSystem();
    const handled: string[] = [];
    const ref = system.spawn(
      receiveMessage<string>((m) => {
        handled.push(m);
        if (m === 'stop') return stopped();
      }),
      'stopper',
    );
    for (const m of ['a', 'stop', 'b', 'c']) ref.tell(m);
    await settle();
    expect(handled).toEqual(['a', 'stop']);
    expect(eventsOf('dead-letter').map((d) => [d.recipient, d.message, d.reason])).toEqual([
      ['/user/stopper', 'b', 'recipient-terminated'],
      ['/user/stopper', 'c', 'recipient-terminated'],
    ]);
  });

  it('never throws on tell to a stopped actor, and publishes a dead letter for each message', async () => {
    const { system, settle, eventsOf } = testSystem();
    const ref = system.spawn(
      receiveMessage<string>(() => undefined),
      'gone',
    );
    system.stop(ref);
    await settle();
    expect(() => {
      ref.tell('one');
      ref.tell('two');
    }).not.toThrow();
    expect(eventsOf('dead-letter').map((d) => [d.recipient, d.message, d.reason])).toEqual([
      ['/user/gone', 'one', 'recipient-terminated'],
      ['/user/gone', 'two', 'recipient-terminated'],
    ]);
  });

  it('never throws on tell after the whole system has terminated', async () => {
    const { system, settle, eventsOf } = testSystem();
    const ref = system.spawn(receiveMessage<string>(() => undefined));
    const done = system.terminate();
    await settle();
    await done;
    expect(() => ref.tell('late')).not.toThrow();
    expect(eventsOf('dead-letter').map((d) => d.message)).toEqual(['late']);
  });

  it('publishes a dead letter with reason explicit for anything told to system.deadLetters', () => {
    const { system, eventsOf } = testSystem();
    system.deadLetters.tell({ any: 'thing' });
    expect(eventsOf('dead-letter')).toEqual([
      expect.objectContaining({ recipient: '/deadLetters', message: { any: 'thing' }, reason: 'explicit' }),
    ]);
  });
});

describe('system messages', () => {
  it('go before user messages: system.stop with 100 messages queued handles none of them', async () => {
    const { system, settle, eventsOf } = testSystem();
    const handled: number[] = [];
    const ref = system.spawn(
      receiveMessage<number>((n) => void handled.push(n)),
      'busy',
    );
    for (let i = 0; i < 100; i++) ref.tell(i);
    system.stop(ref);
    await settle();
    expect(handled).toEqual([]);
    const dead = eventsOf('dead-letter');
    expect(dead).toHaveLength(100);
    expect(dead.map((d) => d.message)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (const d of dead)
      expect(d).toMatchObject({ recipient: '/user/busy', reason: 'recipient-terminated' });
  });

  it('go before the rest of the batch: a stop sent while an actor is running takes effect after the current message', async () => {
    const { system, settle, eventsOf } = testSystem();
    const handled: number[] = [];
    let self: unknown;
    const ref = system.spawn(
      receive<number>((ctx, n) => {
        handled.push(n);
        self = ctx.self;
        if (n === 2) ctx.system.stop(ctx.self);
      }),
    );
    for (let i = 0; i < 50; i++) ref.tell(i);
    await settle();
    expect(self).toBe(ref);
    expect(handled).toEqual([0, 1, 2]);
    expect(eventsOf('dead-letter')).toHaveLength(47);
  });
});

describe('system.stats()', () => {
  it('counts handled messages, dead letters and live actors', async () => {
    const { system, settle } = testSystem();
    await settle();
    const base = system.stats();
    const a = system.spawn(receiveMessage<number>(() => undefined));
    const b = system.spawn(receiveMessage<number>(() => undefined));
    expect(system.stats().liveActors).toBe(base.liveActors + 2);
    for (let i = 0; i < 10; i++) a.tell(i);
    for (let i = 0; i < 5; i++) b.tell(i);
    await settle();
    expect(system.stats().messages).toBe(base.messages + 15);
    system.stop(b);
    await settle();
    b.tell(99);
    b.tell(100);
    system.deadLetters.tell('x');
    const after = system.stats();
    expect(after.liveActors).toBe(base.liveActors + 1);
    expect(after.deadLetters).toBe(base.deadLetters + 3);
    expect(after.messages).toBe(base.messages + 15);
  });

  it('counts dispatcher turns', async () => {
    const { system, settle, turns } = testSystem();
    await settle();
    const before = system.stats().turns;
    const ref = system.spawn(receiveMessage<number>(() => undefined));
    ref.tell(1);
    await settle();
    expect(system.stats().turns).toBeGreaterThan(before);
    expect(system.stats().turns).toBe(turns());
  });

  it('counts live actors through a whole tree, and none after terminate', async () => {
    const { system, settle } = testSystem();
    await settle();
    const base = system.stats().liveActors;
    system.spawn(
      setup<never>((ctx) => {
        ctx.spawn(receiveMessage<never>(() => undefined));
        ctx.spawn(receiveMessage<never>(() => undefined));
        return receiveMessage<never>(() => undefined);
      }),
    );
    await settle();
    expect(system.stats().liveActors).toBe(base + 3);
    const done = system.terminate();
    await settle();
    await done;
    expect(system.stats().liveActors).toBe(0);
  });
});

describe('the dispatcher', () => {
  it('lets a real timer run within two turns while one actor is flooded (real executor, no virtual time)', async () => {
    const system = createActorSystem({ name: 't', logLevel: 'off' });
    const total = 200_000;
    let processed = 0;
    let sink = 0;
    const flood = system.spawn(
      receiveMessage<number>((n) => {
        // A little real work per message, as any actor does, so that a turn takes measurable time.
        for (let i = 0; i < 200; i++) sink = (sink + n * i) | 0;
        processed++;
      }),
    );
    for (let i = 0; i < total; i++) flood.tell(i);
    const turnsAtSet = system.stats().turns;
    const fired = await new Promise<{ turns: number; processed: number }>((resolve) => {
      setTimeout(() => resolve({ turns: system.stats().turns, processed }), 0);
    });
    await system.terminate();
    void sink;
    expect(fired.turns - turnsAtSet).toBeLessThanOrEqual(2);
    expect(fired.processed).toBeLessThan(total);
  });

  it('interleaves two flooded actors in chunks of the throughput (64), not one after the other', async () => {
    const { system, settle } = testSystem();
    const order: string[] = [];
    const a = system.spawn(receiveMessage<number>(() => void order.push('a')));
    const b = system.spawn(receiveMessage<number>(() => void order.push('b')));
    for (let i = 0; i < 256; i++) a.tell(i);
    for (let i = 0; i < 256; i++) b.tell(i);
    await settle();
    const runs: [string, number][] = [];
    for (const who of order) {
      const last = runs[runs.length - 1];
      if (last && last[0] === who) last[1]++;
      else runs.push([who, 1]);
    }
    expect(runs).toEqual([
      ['a', 64],
      ['b', 64],
      ['a', 64],
      ['b', 64],
      ['a', 64],
      ['b', 64],
      ['a', 64],
      ['b', 64],
    ]);
  });

  it('honours a custom throughput', async () => {
    const { system, settle } = testSystem({ throughput: 10 });
    const order: string[] = [];
    const a = system.spawn(receiveMessage<number>(() => void order.push('a')));
    const b = system.spawn(receiveMessage<number>(() => void order.push('b')));
    for (let i = 0; i < 20; i++) a.tell(i);
    for (let i = 0; i < 20; i++) b.tell(i);
    await settle();
    expect(order.join('')).toBe('a'.repeat(10) + 'b'.repeat(10) + 'a'.repeat(10) + 'b'.repeat(10));
  });

  it('ends a turn once maxMessagesPerTurn messages have been handled', async () => {
    const { system, settle, turns } = testSystem({ throughput: 16, maxMessagesPerTurn: 64 });
    const perTurn = new Map<number, number>();
    const ref = system.spawn(
      receive<number>(() => {
        const t = turns();
        perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
      }),
    );
    for (let i = 0; i < 1000; i++) ref.tell(i);
    await settle();
    const counts = [...perTurn.values()];
    expect(counts.reduce((x, y) => x + y, 0)).toBe(1000);
    for (const c of counts) expect(c).toBeLessThanOrEqual(64);
    expect(counts.length).toBeGreaterThanOrEqual(Math.ceil(1000 / 64));
  });

  it('runs an actor that is told from inside another actor in the same settle', async () => {
    const { system, settle } = testSystem();
    const got: string[] = [];
    const b = system.spawn(receiveMessage<string>((m) => void got.push(m)));
    const a = system.spawn(receive<string>((_ctx: ActorContext<string>, m) => b.tell(`via a: ${m}`)));
    a.tell('hi');
    await settle();
    expect(got).toEqual(['via a: hi']);
  });
});

describe('system.dispatchPromptly()', () => {
  // A system with the default executor (setImmediate), on real time: what the method changes is when, within
  // the event loop, a turn runs.
  async function realSystem(options: Partial<ActorSystemOptions> = {}) {
    const system = createActorSystem({ name: 'prompt', logLevel: 'off', ...options });
    const got: number[] = [];
    const ref = system.spawn(receiveMessage<number>((n) => void got.push(n)));
    await flushPromises(); // the spawn's own turn
    return { system, ref, got };
  }

  it('handles the messages told so far at the end of the current task, before the next promise job', async () => {
    const { system, ref, got } = await realSystem();
    ref.tell(1);
    system.dispatchPromptly();
    await Promise.resolve();
    expect(got).toEqual([1]);
    await system.terminate();
  });

  it('leaves them to the next turn of the event loop without it', async () => {
    const { system, ref, got } = await realSystem();
    ref.tell(1);
    await Promise.resolve();
    expect(got).toEqual([]);
    await flushPromises();
    expect(got).toEqual([1]);
    await system.terminate();
  });

  it('counts one turn, not two, when the turn scheduled on the event loop finds the work done', async () => {
    const { system, ref, got } = await realSystem();
    const before = system.stats().turns;
    ref.tell(1);
    system.dispatchPromptly();
    system.dispatchPromptly();
    await flushPromises();
    expect(got).toEqual([1]);
    expect(system.stats().turns - before).toBe(1);
    await system.terminate();
  });

  it('handles at most maxMessagesPerTurn promptly and the rest on the event loop, in order', async () => {
    const { system, ref, got } = await realSystem({ maxMessagesPerTurn: 2, throughput: 2 });
    for (let i = 0; i < 5; i++) ref.tell(i);
    system.dispatchPromptly();
    await Promise.resolve();
    expect(got).toEqual([0, 1]);
    await flushPromises();
    await flushPromises();
    expect(got).toEqual([0, 1, 2, 3, 4]);
    await system.terminate();
  });

  it('does nothing with a custom executor: turns run only when the executor runs them', async () => {
    const { system, settle } = testSystem();
    const got: number[] = [];
    const ref = system.spawn(receiveMessage<number>((n) => void got.push(n)));
    await settle();
    ref.tell(1);
    system.dispatchPromptly();
    await flushPromises();
    expect(got).toEqual([]);
    await settle();
    expect(got).toEqual([1]);
  });
});
