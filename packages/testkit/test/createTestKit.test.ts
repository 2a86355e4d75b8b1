import {
  type ActorRef,
  ask,
  AskTimeoutError,
  ignore,
  InvalidArgumentError,
  type LogEvent,
  receive,
  receiveMessage,
  setup,
  SupervisorStrategy,
} from '@troupe/core';
import { createTestKit, NotIdleError, type TestKit } from '@troupe/testkit';

const kits: TestKit[] = [];
function kit(options?: Parameters<typeof createTestKit>[0]): TestKit {
  const k = createTestKit(options);
  kits.push(k);
  return k;
}
afterEach(async () => {
  for (const k of kits.splice(0)) await k.shutdown();
});

/** An actor that counts ticks of a 1000 ms fixed-rate timer and reports each count to `report`. */
const ticker = (report: ActorRef<number>) =>
  setup<'tick'>((ctx) => {
    let n = 0;
    ctx.timers.startTimerAtFixedRate('tick', 'tick', 1000);
    return receiveMessage(() => report.tell(++n));
  });

describe('virtual time', () => {
  it('delivers exactly ten ticks of a 1000 ms timer over advance(10_000), at their instants, with no real waiting', async () => {
    const { system, advance, createProbe, clock } = kit();
    const probe = createProbe<number>();
    system.spawn(ticker(probe.ref), 'ticker');
    const realStart = performance.now();

    await advance(10_000);

    expect(await probe.receiveMessages(10, 0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(probe.received.map((r) => r.at)).toEqual([
      1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000,
    ]);
    await probe.expectNoMessage(0);
    expect(clock.now()).toBe(10_000);
    expect(performance.now() - realStart).toBeLessThan(2000);
  });

  it('advances a day of virtual time in moments of real time', async () => {
    const { system, advance, createProbe } = kit();
    const probe = createProbe<number>();
    system.spawn(ticker(probe.ref));
    const realStart = performance.now();
    await advance(24 * 3600 * 1000);
    expect(probe.received).toHaveLength(86_400);
    expect(performance.now() - realStart).toBeLessThan(10_000);
  });

  it('runs messages but fires no timer in runUntilIdle', async () => {
    const { system, runUntilIdle, createProbe, clock } = kit();
    const probe = createProbe<string>();
    system.spawn(
      setup<string>((ctx) => {
        ctx.timers.startSingleTimer('later', 'later', 10);
        probe.ref.tell('started');
        return receiveMessage((m) => probe.ref.tell(m));
      }),
    );
    await runUntilIdle();
    expect(probe.pending).toEqual(['started']);
    expect(clock.now()).toBe(0);
    expect(clock.pendingTimers).toBe(1);
  });

  it('settles promise chains of asynchronous handlers and pipeToSelf before it calls the system idle', async () => {
    const { system, settle, createProbe } = kit();
    const probe = createProbe<string>();
    const deep = async (n: number): Promise<number> => (n === 0 ? 0 : 1 + (await deep(n - 1)));
    const ref = system.spawn(
      receive<string>(async (ctx, m) => {
        if (m.startsWith('piped')) return void probe.ref.tell(m);
        const depth = await deep(100);
        probe.ref.tell(`done ${m} after ${depth}`);
        ctx.pipeToSelf(
          deep(50),
          (d) => `piped ${m} ${d}`,
          () => 'failed',
        );
      }),
    );
    ref.tell('a');
    ref.tell('b');
    await settle();
    expect(probe.pending).toEqual(['done a after 100', 'done b after 100', 'piped a 50', 'piped b 50']);
  });

  it('lands exactly on a timer due at the end of an advance', async () => {
    const { system, advance, createProbe } = kit();
    const probe = createProbe<string>();
    system.spawn(
      setup<string>((ctx) => {
        ctx.timers.startSingleTimer('k', 'due', 500);
        return receiveMessage((m) => probe.ref.tell(m));
      }),
    );
    await advance(499);
    expect(probe.pending).toEqual([]);
    await advance(1);
    expect(probe.received).toEqual([{ message: 'due', at: 500 }]);
  });

  it('refuses a negative or infinite advance with InvalidArgumentError', async () => {
    const { advance } = kit();
    await expect(advance(-1)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(advance(Infinity)).rejects.toMatchObject({ code: 'ACTOR_ERR_INVALID_ARGUMENT' });
  });

  it('keeps working when the test has installed Jest fake timers', async () => {
    jest.useFakeTimers();
    try {
      const { system, advance, createProbe } = kit();
      const probe = createProbe<number>();
      system.spawn(ticker(probe.ref));
      await advance(3000);
      expect(await probe.receiveMessages(3, 0)).toEqual([1, 2, 3]);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('ask on virtual time', () => {
  type Request = { replyTo: ActorRef<string> };

  it('times an ask out exactly at its virtual deadline, with AskTimeoutError', async () => {
    const { system, advance, clock } = kit();
    const silent = system.spawn(ignore<Request>(), 'silent');
    const outcome: { at?: number; error?: unknown } = {};
    void ask(silent, (replyTo: ActorRef<string>) => ({ replyTo }), { timeoutMs: 1500 }).catch((error) => {
      outcome.at = clock.now();
      outcome.error = error;
    });

    await advance(1499);
    expect(outcome.error).toBeUndefined();
    await advance(1);
    expect(outcome.at).toBe(1500);
    expect(outcome.error).toBeInstanceOf(AskTimeoutError);
    expect(outcome.error).toMatchObject({ code: 'ACTOR_ERR_ASK_TIMEOUT', timeoutMs: 1500 });
  });

  it('resolves an ask answered by an actor once the system has run', async () => {
    const { system, runUntilIdle } = kit();
    const echo = system.spawn(receiveMessage<Request>((m) => m.replyTo.tell('pong')));
    const reply = ask(echo, (replyTo: ActorRef<string>) => ({ replyTo }));
    await runUntilIdle();
    await expect(reply).resolves.toBe('pong');
  });
});

describe('supervision on virtual time', () => {
  type Cmd = 'fail';

  function supervisedWorker(k: TestKit, strategy: SupervisorStrategy) {
    const probe = k.createProbe<{ started: number }>();
    let worker!: ActorRef<Cmd>;
    const child = setup<Cmd>((ctx) => {
      probe.ref.tell({ started: ctx.system.clock.now() });
      return receiveMessage<Cmd>(() => {
        throw new Error('boom');
      });
    });
    k.system.spawn(
      setup<never>((ctx) => {
        worker = ctx.spawn(child, 'worker');
        return receive<never>(() => undefined);
      }),
      { name: 'sup', supervisorStrategy: strategy },
    );
    return { probe, worker: () => worker };
  }

  it('shows restart backoff at exact virtual times: 100, then 200, then 400 ms after each failure', async () => {
    const k = kit();
    const strategy = SupervisorStrategy.oneForOne().withBackoff({
      minMs: 100,
      maxMs: 10_000,
      randomFactor: 0,
    });
    const { probe, worker } = supervisedWorker(k, strategy);
    await probe.expectMessage({ started: 0 }, 0);

    worker().tell('fail');
    await probe.expectMessage({ started: 100 });
    expect(k.clock.now()).toBe(100);

    worker().tell('fail');
    await probe.expectNoMessage(199);
    await probe.expectMessage({ started: 300 }, 1);

    worker().tell('fail');
    await probe.expectMessage({ started: 700 });
    expect(k.eventsOf('supervision').map((e) => [e.directive, e.delayMs, e.timestamp])).toEqual([
      ['restart', 100, 0],
      ['restart', 200, 100],
      ['restart', 400, 300],
    ]);
  });

  it('replays jittered backoff identically from the same seed, and differently from another', async () => {
    const delays = async (seed: number): Promise<number[]> => {
      const k = kit({ seed });
      const strategy = SupervisorStrategy.oneForOne().withBackoff({
        minMs: 100,
        maxMs: 10_000,
        randomFactor: 0.5,
      });
      const { probe, worker } = supervisedWorker(k, strategy);
      await probe.expectMessage(() => true, 0);
      for (let i = 0; i < 3; i++) {
        worker().tell('fail');
        await probe.expectMessage(() => true);
      }
      return probe.received.map((r) => r.at as number);
    };
    const first = await delays(42);
    expect(await delays(42)).toEqual(first);
    expect(await delays(43)).not.toEqual(first);
    expect(first[1]).toBeGreaterThanOrEqual(100);
    expect(first[1]).toBeLessThan(150);
  });
});

describe('idleness', () => {
  it('gives up with NotIdleError on an actor that keeps telling itself, and still shuts down', async () => {
    const k = kit({ maxMessagesPerRun: 10_000 });
    const loop = k.system.spawn(receive<'again'>((ctx, m) => ctx.self.tell(m)));
    loop.tell('again');
    const error = await k.runUntilIdle().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotIdleError);
    expect(error).toMatchObject({ code: 'TESTKIT_ERR_NOT_IDLE' });
    expect((error as NotIdleError).messages).toBeGreaterThan(10_000);
    await k.shutdown();
    expect(k.system.isTerminated).toBe(true);
  });
});

describe('options and lifecycle', () => {
  it('passes options through to the actor system and defaults logging to off', async () => {
    const quietLines: LogEvent[] = [];
    const loudLines: LogEvent[] = [];
    const quiet = kit({ name: 'quiet', logSink: (e) => quietLines.push(e) });
    const loud = kit({ name: 'loud', logLevel: 'error', logSink: (e) => loudLines.push(e) });
    for (const k of [quiet, loud]) {
      const ref = k.system.spawn(
        receiveMessage<'fail'>(() => {
          throw new Error('boom');
        }),
      );
      ref.tell('fail');
      await k.runUntilIdle();
    }
    expect(quiet.system.name).toBe('quiet');
    expect(loud.system.name).toBe('loud');
    expect(quietLines).toEqual([]);
    expect(loudLines).toContainEqual(expect.objectContaining({ level: 'error', message: 'actor failed' }));
    expect(quiet.eventsOf('actor-failed')).toHaveLength(1);
  });

  it('starts the clock where asked', () => {
    expect(kit({ startAt: 5000 }).clock.now()).toBe(5000);
  });

  it('records every event the system publishes', async () => {
    const k = kit();
    const ref = k.system.spawn(ignore<never>(), 'x');
    await k.runUntilIdle();
    k.system.stop(ref);
    await k.runUntilIdle();
    expect(k.eventsOf('actor-spawned').map((e) => e.ref.path)).toContain('/user/x');
    expect(k.eventsOf('actor-stopped').map((e) => e.ref.path)).toContain('/user/x');
  });

  it('terminates the system on shutdown, and a second shutdown is harmless', async () => {
    const k = kit();
    const probe = k.createProbe<string>();
    await k.shutdown();
    expect(k.system.isTerminated).toBe(true);
    await k.shutdown();
    probe.ref.tell('late');
    expect(k.eventsOf('dead-letter')).toEqual([expect.objectContaining({ message: 'late' })]);
    expect(() => k.createProbe()).toThrow(expect.objectContaining({ code: 'TESTKIT_ERR_USAGE' }));
  });
});
