import {
  AbstractBehavior,
  type ActorContext,
  ActorNameTakenError,
  type ActorRef,
  type Behavior,
  DeathPactError,
  empty,
  ignore,
  InvalidActorNameError,
  InvalidArgumentError,
  InvalidBehaviorError,
  PostStop,
  PreRestart,
  receive,
  receiveMessage,
  receiveSignal,
  same,
  setup,
  type Signal,
  StashOverflowError,
  stopped,
  SupervisorStrategy,
  Terminated,
  unhandled,
} from '@troupe/core';
import {
  createTestInbox,
  ExpectationFailedError,
  NotIdleError,
  testBehavior,
  testBehaviorAsync,
  TestKitUsageError,
} from '@troupe/testkit';

type Job = { type: 'job'; n: number };
type PoolMsg = Job | { type: 'scale'; workers: number } | { type: 'stop-worker'; name: string };

/** A pool that spawns workers in setup and hands out jobs round robin. */
const worker = receiveMessage<Job>(() => undefined);
const pool = (initial: number) =>
  setup<PoolMsg>((ctx) => {
    let workers: ActorRef<Job>[] = [];
    const add = () =>
      workers.push(ctx.spawn(worker, { name: `worker-${workers.length}`, restart: 'permanent' }));
    for (let i = 0; i < initial; i++) add();
    let next = 0;
    return receiveMessage<PoolMsg>((m) => {
      if (m.type === 'job') workers[next++ % workers.length].tell(m);
      else if (m.type === 'scale') while (workers.length < m.workers) add();
      else {
        const w = ctx.child(m.name);
        if (w) ctx.stop(w);
        workers = workers.filter((x) => x.name !== m.name);
      }
    });
  });

describe('BehaviorTestKit: spawning and sending', () => {
  it('records the children a setup spawns, with name, behaviour and options, before the first run', () => {
    const kit = testBehavior(pool(2));
    expect(kit.effectsOf('spawned')).toEqual([
      expect.objectContaining({
        name: 'worker-0',
        behavior: worker,
        options: { name: 'worker-0', restart: 'permanent' },
      }),
      expect.objectContaining({ name: 'worker-1', anonymous: false }),
    ]);
    expect(kit.children.map((c) => c.ref.path)).toEqual(['/user/testkit/worker-0', '/user/testkit/worker-1']);
  });

  it('does not start spawned children', () => {
    let started = false;
    const kit = testBehavior(
      setup<never>((ctx) => {
        ctx.spawn(
          setup(() => {
            started = true;
            return ignore();
          }),
          'child',
        );
        return ignore();
      }),
    );
    expect(kit.effectsOf('spawned')).toHaveLength(1);
    expect(started).toBe(false);
  });

  it('puts messages sent to children in their inboxes', () => {
    const kit = testBehavior(pool(2));
    kit.run({ type: 'job', n: 1 });
    kit.run({ type: 'job', n: 2 });
    kit.run({ type: 'job', n: 3 });
    expect(kit.childInbox<Job>('worker-0').messages).toEqual([
      { type: 'job', n: 1 },
      { type: 'job', n: 3 },
    ]);
    kit.childInbox<Job>('worker-1').expectMessage({ type: 'job', n: 2 });
    kit.childInbox('worker-1').expectNoMessage();
  });

  it('names anonymous children as core does and refuses bad or taken names with core’s errors', () => {
    const kit = testBehavior(
      receive<string | undefined>((ctx, name) => {
        ctx.spawn(ignore(), name === undefined ? undefined : { name });
      }),
    );
    kit.run(undefined);
    kit.run(undefined);
    expect(kit.effectsOf('spawned').map((e) => [e.name, e.anonymous])).toEqual([
      ['$1', true],
      ['$2', true],
    ]);
    kit.run('a');
    expect(() => kit.run('a')).toThrow(ActorNameTakenError);
    expect(() => kit.run('$reserved')).toThrow(InvalidActorNameError);
  });

  it('records a stop request for a child, frees its name, and keeps its inbox', () => {
    const kit = testBehavior(pool(2));
    kit.run({ type: 'job', n: 1 });
    kit.run({ type: 'stop-worker', name: 'worker-0' });
    expect(kit.effectsOf('stopped-child').map((e) => e.name)).toEqual(['worker-0']);
    expect(kit.children.map((c) => c.name)).toEqual(['worker-1']);
    expect(kit.childInbox('worker-0').messages).toEqual([{ type: 'job', n: 1 }]);
  });

  it('refuses to stop what is not a child, with InvalidArgumentError as core', () => {
    const stranger = createTestInbox<never>('stranger').ref;
    const kit = testBehavior(receive<'go'>((ctx) => ctx.stop(stranger)));
    expect(() => kit.run('go')).toThrow(InvalidArgumentError);
  });

  it('names unknown children in the error when asked for their inbox', () => {
    const kit = testBehavior(pool(1));
    expect(() => kit.childInbox('nobody')).toThrow(
      /no child named "nobody" was spawned; children: "worker-0"/,
    );
  });

  it('puts messages to self in the self inbox, and runOne handles them', () => {
    const seen: string[] = [];
    const kit = testBehavior(
      receive<string>((ctx, m) => {
        seen.push(m);
        if (m === 'first') ctx.self.tell('second');
      }),
    );
    kit.run('first');
    expect(kit.selfInbox().messages).toEqual(['second']);
    kit.runOne();
    expect(seen).toEqual(['first', 'second']);
  });

  it('replies to inboxes passed in messages', () => {
    type Get = { replyTo: ActorRef<number> };
    const kit = testBehavior(receiveMessage<Get>((m) => m.replyTo.tell(42)));
    const replies = kit.createInbox<number>('replies');
    kit.run({ replyTo: replies.ref });
    expect(replies.receiveMessage()).toBe(42);
    expect(String(replies.ref)).toBe('troupe://behavior-testkit/temp/replies');
  });

  it('records a supervisor strategy change', () => {
    const strategy = SupervisorStrategy.allForOne();
    const kit = testBehavior(
      setup<never>((ctx) => {
        ctx.setSupervisorStrategy(strategy);
        return ignore();
      }),
    );
    expect(kit.effects).toEqual([{ type: 'supervisor-strategy-set', strategy }]);
  });
});

describe('BehaviorTestKit: timers', () => {
  type T = 'start' | 'cancel' | 'tick' | 'poll' | 'once';
  const timed = setup<T>((ctx) => {
    ctx.timers.startTimerAtFixedRate('tick', 'tick', 1000);
    return receiveMessage<T>((m) => {
      if (m === 'start') {
        ctx.timers.startSingleTimer('once', 'once', 250);
        ctx.timers.startTimerWithFixedDelay('poll', 'poll', 500);
      } else if (m === 'cancel') ctx.timers.cancelAll();
    });
  });

  it('records timers scheduled with their keys, modes and delays', () => {
    const kit = testBehavior(timed);
    kit.run('start');
    expect(kit.effectsOf('timer-scheduled')).toEqual([
      {
        type: 'timer-scheduled',
        key: 'tick',
        message: 'tick',
        mode: 'fixed-rate',
        delayMs: 1000,
        intervalMs: 1000,
      },
      {
        type: 'timer-scheduled',
        key: 'once',
        message: 'once',
        mode: 'single',
        delayMs: 250,
        intervalMs: undefined,
      },
      {
        type: 'timer-scheduled',
        key: 'poll',
        message: 'poll',
        mode: 'fixed-delay',
        delayMs: 500,
        intervalMs: 500,
      },
    ]);
    expect(kit.activeTimers.map((t) => t.key)).toEqual(['tick', 'once', 'poll']);
  });

  it('records the cancellation of active timers only', () => {
    const kit = testBehavior(timed);
    kit.run('start');
    kit.takeEffects();
    kit.run('cancel');
    kit.run('cancel');
    expect(kit.takeEffects()).toEqual([
      { type: 'timer-cancelled', key: 'tick' },
      { type: 'timer-cancelled', key: 'once' },
      { type: 'timer-cancelled', key: 'poll' },
    ]);
    expect(kit.activeTimers).toEqual([]);
  });

  it('fires a timer on request: a single one is then done, a repeating one stays', () => {
    const handled: T[] = [];
    const kit = testBehavior(
      setup<T>((ctx) => {
        ctx.timers.startSingleTimer('once', 'once', 250);
        ctx.timers.startTimerAtFixedRate('tick', 'tick', 100);
        return receiveMessage<T>((m) => void handled.push(m));
      }),
    );
    kit.fireTimer('once');
    kit.fireTimer('tick');
    kit.fireTimer('tick');
    expect(handled).toEqual(['once', 'tick', 'tick']);
    expect(kit.isTimerActive('once')).toBe(false);
    expect(kit.isTimerActive('tick')).toBe(true);
    expect(() => kit.fireTimer('once')).toThrow(InvalidArgumentError);
  });

  it('checks timer arguments as core does', () => {
    const kit = testBehavior(receive<number>((ctx, n) => ctx.timers.startTimerAtFixedRate('k', n, n)));
    expect(() => kit.run(0)).toThrow(InvalidArgumentError);
  });
});

describe('BehaviorTestKit: watching and signals', () => {
  type W =
    | { type: 'watch'; ref: ActorRef<never>; with?: boolean }
    | { type: 'unwatch'; ref: ActorRef<never> }
    | { type: 'gone'; ref: ActorRef<never> };
  const other = createTestInbox<never>('other').ref;

  const watcher = (log: string[]) =>
    receive<W>(
      (ctx, m) => {
        if (m.type === 'watch') {
          if (m.with) ctx.watchWith(m.ref, { type: 'gone', ref: m.ref });
          else ctx.watch(m.ref);
        } else if (m.type === 'unwatch') ctx.unwatch(m.ref);
        else log.push(`gone ${m.ref.name}`);
      },
      (_ctx, sig) => {
        if (sig.type === 'Terminated') log.push(`terminated ${sig.ref.name}`);
      },
    );

  it('records watch and unwatch', () => {
    const kit = testBehavior(watcher([]));
    kit.run({ type: 'watch', ref: other });
    expect(kit.watching).toEqual([other]);
    kit.run({ type: 'unwatch', ref: other });
    expect(kit.effects).toEqual([
      { type: 'watched', ref: other, withMessage: false, message: undefined },
      { type: 'unwatched', ref: other },
    ]);
    expect(kit.watching).toEqual([]);
  });

  it('delivers Terminated to the signal handler, or the watchWith message instead, as core does', () => {
    const log: string[] = [];
    const kit = testBehavior(watcher(log));
    const second = createTestInbox<never>('second').ref;
    kit.run({ type: 'watch', ref: other });
    kit.run({ type: 'watch', ref: second, with: true });
    kit.signal(Terminated(other));
    kit.signal(Terminated(second));
    expect(log).toEqual(['terminated other', 'gone second']);
    expect(kit.watching).toEqual([]);
  });

  it('throws DeathPactError for an unhandled Terminated', () => {
    const kit = testBehavior(receiveSignal<never>(() => unhandled()));
    expect(() => kit.signal(Terminated(other))).toThrow(DeathPactError);
  });

  it('lets an ignore behaviour swallow Terminated, and fails an empty one with a death pact', () => {
    expect(() => testBehavior(ignore<never>()).signal(Terminated(other))).not.toThrow();
    expect(() => testBehavior(empty<never>()).signal(Terminated(other))).toThrow(DeathPactError);
  });

  it('delivers PreRestart and PostStop to the signal handler and ignores what it returns', () => {
    const signals: Signal['type'][] = [];
    const kit = testBehavior(
      receiveSignal<never>((_ctx, sig) => {
        signals.push(sig.type);
        return stopped();
      }),
    );
    kit.signal(PreRestart);
    kit.signal(PostStop);
    expect(signals).toEqual(['PreRestart', 'PostStop']);
    expect(kit.isAlive).toBe(true);
  });
});

describe('BehaviorTestKit: behaviours as core interprets them', () => {
  it('keeps the behaviour for same or nothing, and moves to a returned one', () => {
    const second = receiveMessage<string>(() => same());
    const first = receiveMessage<string>((m) => (m === 'next' ? second : undefined));
    const kit = testBehavior(first);
    kit.run('stay');
    expect(kit.currentBehavior).toBe(first);
    expect(kit.returnedBehavior).toBeUndefined();
    kit.run('next');
    expect(kit.currentBehavior).toBe(second);
    expect(kit.returnedBehavior).toBe(second);
  });

  it('stops on stopped: PostStop reaches the old behaviour, then the callback, then nothing more runs', () => {
    const log: string[] = [];
    const kit = testBehavior(
      setup<'start' | 'quit'>((ctx) => {
        ctx.timers.startSingleTimer('k', 'start', 10);
        return receive(
          () => stopped(() => log.push('callback')),
          (_ctx, sig) => void log.push(sig.type),
        );
      }),
    );
    kit.run('quit');
    expect(kit.isAlive).toBe(false);
    expect(log).toEqual(['PostStop', 'callback']);
    expect(kit.effects[kit.effects.length - 1]).toEqual({ type: 'stopped-self' });
    expect(kit.activeTimers).toEqual([]);
    expect(() => kit.run('start')).toThrow(TestKitUsageError);
    expect(() => kit.run('start')).toThrow(expect.objectContaining({ code: 'TESTKIT_ERR_USAGE' }));
  });

  it('records unhandled messages from unhandled() and from an empty behaviour', () => {
    const kit = testBehavior(receiveMessage<string>((m) => (m === 'known' ? same() : unhandled())));
    kit.run('known');
    kit.run('mystery');
    expect(kit.unhandled).toEqual(['mystery']);
    const e = testBehavior(empty<string>());
    e.run('anything');
    expect(e.unhandled).toEqual(['anything']);
  });

  it('refuses same or unhandled as an initial behaviour, and a setup that returns nothing', () => {
    expect(() => testBehavior(same())).toThrow(InvalidBehaviorError);
    expect(() => testBehavior(setup(() => unhandled()))).toThrow(InvalidBehaviorError);
    expect(() => testBehavior(setup(() => undefined as unknown as Behavior<never>))).toThrow(
      InvalidBehaviorError,
    );
  });

  it('throws what a handler throws to the test', () => {
    const kit = testBehavior(
      receiveMessage<string>(() => {
        throw new RangeError('bad');
      }),
    );
    expect(() => kit.run('x')).toThrow(RangeError);
  });

  it('interprets every public behaviour constructor, so the copied behaviour tags stay in step with core', () => {
    class Counter extends AbstractBehavior<string> {
      n = 0;
      constructor(ctx: ActorContext<string>) {
        super(ctx);
      }
      onMessage(): Behavior<string> {
        this.n++;
        return this;
      }
    }
    let counter!: Counter;
    const cases: [string, Behavior<string>, (kit: ReturnType<typeof testBehavior<string>>) => void][] = [
      ['receive', receive<string>(() => stopped()), (k) => (k.run('m'), expect(k.isAlive).toBe(false))],
      [
        'receiveMessage',
        receiveMessage<string>(() => unhandled()),
        (k) => (k.run('m'), expect(k.unhandled).toEqual(['m'])),
      ],
      [
        'receiveSignal',
        receiveSignal<string>(() => undefined),
        (k) => (k.run('m'), expect(k.unhandled).toEqual(['m'])),
      ],
      [
        'setup',
        setup<string>(() => setup(() => ignore())),
        (k) => (k.run('m'), expect(k.unhandled).toEqual([])),
      ],
      ['empty', empty<string>(), (k) => (k.run('m'), expect(k.unhandled).toEqual(['m']))],
      ['ignore', ignore<string>(), (k) => (k.run('m'), expect(k.unhandled).toEqual([]))],
      ['stopped', stopped<string>(), (k) => expect(k.isAlive).toBe(false)],
      [
        'AbstractBehavior',
        setup<string>((ctx) => (counter = new Counter(ctx))),
        (k) => (k.run('a'), k.run('b'), expect(counter.n).toBe(2), expect(k.currentBehavior).toBe(counter)),
      ],
    ];
    for (const [, behavior, check] of cases) check(testBehavior(behavior));
  });
});

describe('BehaviorTestKit: stash', () => {
  type S = { type: 'data'; v: number } | { type: 'ready' };
  const buffering = (seen: number[]) =>
    setup<S>((ctx) => {
      const ready = receiveMessage<S>((m) => void (m.type === 'data' && seen.push(m.v)));
      return receiveMessage<S>((m) => {
        if (m.type === 'data') return void ctx.stash.stash(m);
        ctx.stash.unstashAll();
        return ready;
      });
    });

  it('shows the stash and hands unstashed messages to the next behaviour in order, right after the handler', () => {
    const seen: number[] = [];
    const kit = testBehavior(buffering(seen));
    kit.run({ type: 'data', v: 1 });
    kit.run({ type: 'data', v: 2 });
    expect(kit.stashed).toEqual([
      { type: 'data', v: 1 },
      { type: 'data', v: 2 },
    ]);
    kit.run({ type: 'ready' });
    expect(seen).toEqual([1, 2]);
    expect(kit.stashed).toEqual([]);
  });

  it('throws StashOverflowError beyond the stash capacity', () => {
    const kit = testBehavior(buffering([]), { stashCapacity: 1 });
    kit.run({ type: 'data', v: 1 });
    expect(() => kit.run({ type: 'data', v: 2 })).toThrow(StashOverflowError);
  });

  it('calls a stash-and-unstash loop what it is, with NotIdleError', () => {
    const kit = testBehavior(
      receive<string>((ctx, m) => {
        ctx.stash.stash(m);
        ctx.stash.unstashAll();
      }),
    );
    expect(() => kit.run('again')).toThrow(NotIdleError);
  });
});

describe('BehaviorTestKit: asynchronous behaviours and the context', () => {
  it('refuses a handler that returns a promise in run, with TestKitUsageError, and runs it in runAsync', async () => {
    const seen: string[] = [];
    const kit = testBehavior(
      receiveMessage<string>(async (m) => {
        await Promise.resolve();
        seen.push(m);
        return m === 'stop' ? stopped() : undefined;
      }),
    );
    expect(() => kit.run('sync')).toThrow(TestKitUsageError);
    await kit.runAsync('async');
    await kit.runAsync('stop');
    expect(seen).toEqual(['sync', 'async', 'stop']);
    expect(kit.isAlive).toBe(false);
  });

  it('runs an asynchronous setup with testBehaviorAsync, and refuses it in testBehavior', async () => {
    const slow = setup<string>(async (ctx) => {
      await Promise.resolve();
      ctx.spawn(ignore(), 'late-child');
      return ignore();
    });
    expect(() => testBehavior(slow)).toThrow(TestKitUsageError);
    const kit = await testBehaviorAsync(slow);
    expect(kit.children.map((c) => c.name)).toEqual(['late-child']);
  });

  it('delivers pipeToSelf outcomes to the self inbox once the promise settles', async () => {
    const kit = testBehavior(
      receive<string>((ctx, m) => {
        if (m === 'load')
          ctx.pipeToSelf(
            Promise.resolve(7),
            (v) => `loaded ${v}`,
            () => 'failed',
          );
      }),
    );
    kit.run('load');
    expect(kit.effectsOf('piped-to-self')).toHaveLength(1);
    await Promise.resolve();
    await Promise.resolve();
    kit.selfInbox().expectMessage('loaded 7');
  });

  it('records log lines and offers a system on the kit clock', () => {
    const kit = testBehavior(
      setup<never>((ctx) => {
        ctx.log.info('started', { at: ctx.system.clock.now() });
        return ignore();
      }),
      { startAt: 1234 },
    );
    expect(kit.logs).toEqual([{ level: 'info', message: 'started', data: { at: 1234 } }]);
    expect(kit.context.system.name).toBe('behavior-testkit');
  });
});

describe('TestInbox', () => {
  it('fails expectations with ExpectationFailedError that say what was there', () => {
    const inbox = createTestInbox<string>('box');
    expect(() => inbox.receiveMessage()).toThrow(ExpectationFailedError);
    inbox.ref.tell('a');
    const error = (() => {
      try {
        inbox.expectMessage('b');
      } catch (e) {
        return e as ExpectationFailedError;
      }
    })();
    expect(error?.code).toBe('TESTKIT_ERR_EXPECTATION');
    expect(error?.message).toBe(
      'inbox /temp/box: expected a message equal to "b", but the next message was "a".\nMessages received (1):\n  "a"',
    );
    inbox.ref.tell('c');
    expect(() => inbox.expectNoMessage()).toThrow(/expected no message, but 1 arrived/);
    expect(inbox.receiveAll()).toEqual(['c']);
    expect(inbox.received.map((r) => r.message)).toEqual(['a', 'c']);
  });
});
