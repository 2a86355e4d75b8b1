import { type ActorContext, type Clock, InvalidArgumentError, receive, setup, SimulatedClock } from '../src';
import { testSystem } from './testSystem';

/**
 * An actor driven from the test: functions it is sent run with its context (to start and cancel timers),
 * strings are recorded with the virtual time they were handled at, and 'boom' throws.
 */
type Msg = string | ((ctx: ActorContext<Msg>) => void | Promise<void>);
interface Handled {
  msg: string;
  at: number;
}
function driven(handled: Handled[]) {
  return receive<Msg>((ctx, m) => {
    if (typeof m === 'function') return m(ctx);
    if (m === 'boom') throw new Error('boom');
    handled.push({ msg: m, at: ctx.system.clock.now() });
  });
}

describe('single timers', () => {
  it('fire once, at their delay', async () => {
    const { system, advance } = testSystem();
    const handled: Handled[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => ctx.timers.startSingleTimer('k', 'tick', 100));
    await advance(99);
    expect(handled).toEqual([]);
    await advance(1);
    expect(handled).toEqual([{ msg: 'tick', at: 100 }]);
    await advance(10_000);
    expect(handled).toEqual([{ msg: 'tick', at: 100 }]);
  });

  it('are inactive once their tick has been handled', async () => {
    const { system, advance, settle } = testSystem();
    const handled: Handled[] = [];
    const active: boolean[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => {
      ctx.timers.startSingleTimer('k', 'tick', 100);
      active.push(ctx.timers.isTimerActive('k'));
    });
    await advance(100);
    ref.tell((ctx) => void active.push(ctx.timers.isTimerActive('k')));
    await settle();
    expect(active).toEqual([true, false]);
  });

  it('fire in order of their delays, each at its own time', async () => {
    const { system, advance } = testSystem();
    const handled: Handled[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => {
      ctx.timers.startSingleTimer('c', 'c', 300);
      ctx.timers.startSingleTimer('a', 'a', 100);
      ctx.timers.startSingleTimer('b', 'b', 200);
    });
    await advance(1000);
    expect(handled).toEqual([
      { msg: 'a', at: 100 },
      { msg: 'b', at: 200 },
      { msg: 'c', at: 300 },
    ]);
  });
});

describe('fixed-rate timers', () => {
  it('fire at exact multiples of the interval', async () => {
    const { system, advance } = testSystem();
    const handled: Handled[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => ctx.timers.startTimerAtFixedRate('k', 'tick', 100));
    await advance(450);
    expect(handled.map((h) => h.at)).toEqual([100, 200, 300, 400]);
  });

  it('honour an initial delay, then the interval', async () => {
    const { system, advance } = testSystem();
    const handled: Handled[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => ctx.timers.startTimerAtFixedRate('k', 'tick', 100, 30));
    await advance(350);
    expect(handled.map((h) => h.at)).toEqual([30, 130, 230, 330]);
  });

  it('keep their schedule when the actor is slow: ticks queue up, the schedule does not drift', async () => {
    const { system, advance } = testSystem();
    const handled: Handled[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => ctx.timers.startTimerAtFixedRate('k', 'tick', 100));
    ref.tell(() => gate); // holds the mailbox
    await advance(250);
    expect(handled).toEqual([]);
    release();
    await advance(0);
    await advance(200);
    expect(handled.map((h) => h.at)).toEqual([250, 250, 300, 400]);
  });

  it('do not drift when the clock fires them late: each tick is scheduled from the previous due time', async () => {
    // A clock that always fires 5 ms late, as a busy event loop does.
    const inner = new SimulatedClock();
    const late: Clock = {
      now: () => inner.now(),
      monotonic: () => inner.now(),
      setTimeout: (callback, delayMs) => inner.setTimeout(callback, delayMs + 5),
      clearTimeout: (handle) => inner.clearTimeout(handle),
    };
    const { system, settle } = testSystem({ clock: late });
    const handled: Handled[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => ctx.timers.startTimerAtFixedRate('k', 'tick', 100));
    await settle();
    for (let i = 0; i < 4; i++) {
      inner.fireNext();
      await settle();
    }
    expect(handled.map((h) => h.at)).toEqual([105, 205, 305, 405]);
  });

  it('stay active after firing until cancelled', async () => {
    const { system, advance, settle } = testSystem();
    const handled: Handled[] = [];
    const active: boolean[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => ctx.timers.startTimerAtFixedRate('k', 'tick', 100));
    await advance(250);
    ref.tell((ctx) => {
      active.push(ctx.timers.isTimerActive('k'));
      ctx.timers.cancel('k');
      active.push(ctx.timers.isTimerActive('k'));
    });
    await settle();
    await advance(1000);
    expect(active).toEqual([true, false]);
    expect(handled.map((h) => h.at)).toEqual([100, 200]);
  });

  it('refuse an interval of zero, a fixed delay of zero and a negative delay with InvalidArgumentError', async () => {
    const { system, settle, advance } = testSystem();
    const handled: Handled[] = [];
    const errors: unknown[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => {
      const attempts = [
        () => ctx.timers.startTimerAtFixedRate('a', 'a', 0),
        () => ctx.timers.startTimerWithFixedDelay('b', 'b', 0),
        () => ctx.timers.startSingleTimer('c', 'c', -1),
        () => ctx.timers.startTimerAtFixedRate('d', 'd', 10, -1),
      ];
      for (const attempt of attempts) {
        try {
          attempt();
        } catch (e) {
          errors.push(e);
        }
      }
    });
    await settle();
    await advance(100);
    expect(errors).toHaveLength(4);
    for (const e of errors) {
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect(e).toMatchObject({ code: 'ACTOR_ERR_INVALID_ARGUMENT' });
    }
    expect(handled).toEqual([]);
  });
});

describe('fixed-delay timers', () => {
  it('fire every delay when the actor keeps up', async () => {
    const { system, advance } = testSystem();
    const handled: Handled[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => ctx.timers.startTimerWithFixedDelay('k', 'tick', 100));
    await advance(350);
    expect(handled.map((h) => h.at)).toEqual([100, 200, 300]);
  });

  it('measure the next delay from when the previous tick was delivered, not from the schedule', async () => {
    const { system, advance } = testSystem();
    const handled: Handled[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => ctx.timers.startTimerWithFixedDelay('k', 'tick', 100));
    ref.tell(() => gate); // holds the mailbox past the first tick
    await advance(250);
    expect(handled).toEqual([]);
    release();
    await advance(0);
    await advance(250);
    // One tick queued (not two), delivered at 250; then again 100 after each delivery.
    expect(handled.map((h) => h.at)).toEqual([250, 350, 450]);
  });
});

describe('timer keys', () => {
  it('replace a timer started again with the same key', async () => {
    const { system, advance } = testSystem();
    const handled: Handled[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => ctx.timers.startSingleTimer('k', 'old', 100));
    await advance(50);
    ref.tell((ctx) => ctx.timers.startSingleTimer('k', 'new', 100));
    await advance(1000);
    expect(handled).toEqual([{ msg: 'new', at: 150 }]);
  });

  it('replace a periodic timer with a single one under the same key', async () => {
    const { system, advance } = testSystem();
    const handled: Handled[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => ctx.timers.startTimerAtFixedRate('k', 'periodic', 100));
    await advance(250);
    ref.tell((ctx) => ctx.timers.startSingleTimer('k', 'single', 100));
    await advance(1000);
    expect(handled).toEqual([
      { msg: 'periodic', at: 100 },
      { msg: 'periodic', at: 200 },
      { msg: 'single', at: 350 },
    ]);
  });

  it('drop the queued tick of a replaced timer', async () => {
    const { system, clock, settle, advance } = testSystem();
    const handled: Handled[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => ctx.timers.startSingleTimer('k', 'old', 100));
    await settle();
    ref.tell((ctx) => ctx.timers.startSingleTimer('k', 'new', 100));
    clock.advance(100); // 'old' is now queued behind the restart of the timer
    await settle();
    await advance(1000);
    expect(handled).toEqual([{ msg: 'new', at: 200 }]);
  });

  it('keep timers with different keys independent', async () => {
    const { system, advance } = testSystem();
    const handled: Handled[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => {
      ctx.timers.startSingleTimer('a', 'a', 100);
      ctx.timers.startSingleTimer({ id: 'a' }, 'object key', 100);
      ctx.timers.startSingleTimer('b', 'b', 150);
    });
    await advance(10);
    ref.tell((ctx) => ctx.timers.cancel('a'));
    await advance(1000);
    expect(handled).toEqual([
      { msg: 'object key', at: 100 },
      { msg: 'b', at: 150 },
    ]);
  });
});

describe('cancelling timers', () => {
  it('prevents delivery of a timer that has not fired yet', async () => {
    const { system, advance, clock } = testSystem();
    const handled: Handled[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => ctx.timers.startSingleTimer('k', 'tick', 100));
    await advance(50);
    ref.tell((ctx) => ctx.timers.cancel('k'));
    await advance(1000);
    expect(handled).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('prevents delivery of a tick already queued behind the message that cancels it', async () => {
    const { system, clock, settle, advance, eventsOf } = testSystem();
    const handled: Handled[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => ctx.timers.startSingleTimer('k', 'tick', 100));
    await settle();
    ref.tell((ctx) => ctx.timers.cancel('k'));
    ref.tell('marker');
    clock.advance(100); // fires: the tick is queued behind 'cancel' and 'marker', not yet handled
    await settle();
    await advance(1000);
    expect(handled).toEqual([{ msg: 'marker', at: 100 }]);
    expect(eventsOf('dead-letter')).toEqual([]);
  });

  it('prevents delivery of queued periodic ticks, while the actor was busy when they fired', async () => {
    const { system, advance } = testSystem();
    const handled: Handled[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => ctx.timers.startTimerAtFixedRate('k', 'tick', 100));
    ref.tell(() => gate);
    ref.tell((ctx) => ctx.timers.cancel('k'));
    await advance(350); // three ticks queued behind the cancel
    release();
    await advance(1000);
    expect(handled).toEqual([]);
  });

  it('cancelAll cancels every timer', async () => {
    const { system, advance, clock } = testSystem();
    const handled: Handled[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => {
      ctx.timers.startSingleTimer('a', 'a', 100);
      ctx.timers.startTimerAtFixedRate('b', 'b', 100);
      ctx.timers.startTimerWithFixedDelay('c', 'c', 100);
    });
    await advance(10);
    ref.tell((ctx) => ctx.timers.cancelAll());
    await advance(1000);
    expect(handled).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('is harmless for a key that has no timer', async () => {
    const { system, settle, eventsOf } = testSystem();
    const ref = system.spawn(driven([]));
    ref.tell((ctx) => ctx.timers.cancel('nothing'));
    await settle();
    expect(eventsOf('actor-failed')).toEqual([]);
  });
});

describe('timers and the lifecycle', () => {
  it('are cancelled when the actor restarts: no more ticks, no dead letters', async () => {
    const { system, advance, clock, eventsOf } = testSystem();
    const handled: Handled[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => {
      ctx.timers.startTimerAtFixedRate('rate', 'rate', 100);
      ctx.timers.startSingleTimer('single', 'single', 500);
    });
    await advance(150);
    ref.tell('boom');
    await advance(1000);
    expect(eventsOf('actor-restarted').map((e) => e.ref)).toEqual([ref]);
    expect(handled).toEqual([{ msg: 'rate', at: 100 }]);
    expect(eventsOf('dead-letter')).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('drop a tick queued before a restart, even if the new incarnation reuses the key', async () => {
    const { system, clock, settle, advance } = testSystem();
    const handled: Handled[] = [];
    let incarnation = 0;
    const ref = system.spawn(
      setup<Msg>((ctx) => {
        incarnation++;
        ctx.timers.startSingleTimer('k', `tick ${incarnation}`, 100);
        return driven(handled);
      }),
    );
    await settle();
    ref.tell('boom');
    clock.advance(100); // the first incarnation's tick is queued behind 'boom'
    await settle();
    await advance(1000);
    expect(incarnation).toBe(2);
    expect(handled).toEqual([{ msg: 'tick 2', at: 200 }]);
  });

  it('are cancelled when the actor stops: no more ticks, no dead letters, no pending clock timers', async () => {
    const { system, advance, clock, eventsOf } = testSystem();
    const handled: Handled[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => {
      ctx.timers.startTimerAtFixedRate('rate', 'rate', 100);
      ctx.timers.startTimerWithFixedDelay('delay', 'delay', 100);
      ctx.timers.startSingleTimer('single', 'single', 500);
    });
    await advance(150);
    system.stop(ref);
    await advance(1000);
    expect(handled).toEqual([
      { msg: 'rate', at: 100 },
      { msg: 'delay', at: 100 },
    ]);
    expect(eventsOf('dead-letter')).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('do not turn a tick queued at the moment of stopping into a dead letter', async () => {
    const { system, clock, settle, advance, eventsOf } = testSystem();
    const handled: Handled[] = [];
    const ref = system.spawn(driven(handled));
    ref.tell((ctx) => ctx.timers.startSingleTimer('k', 'tick', 100));
    await settle();
    clock.advance(100); // queued, not yet handled
    system.stop(ref);
    await settle();
    await advance(1000);
    expect(handled).toEqual([]);
    expect(eventsOf('dead-letter')).toEqual([]);
    expect(eventsOf('actor-stopped').map((e) => e.ref)).toEqual([ref]);
  });

  it('can be started in setup and run from the start', async () => {
    const { system, advance } = testSystem();
    const handled: Handled[] = [];
    system.spawn(
      setup<Msg>((ctx) => {
        ctx.timers.startTimerAtFixedRate('k', 'tick', 100);
        return driven(handled);
      }),
    );
    await advance(300);
    expect(handled.map((h) => h.at)).toEqual([100, 200, 300]);
  });

  it('do not carry a timer started in PreRestart over into the new incarnation', async () => {
    const { system, settle, advance } = testSystem();
    const handled: Handled[] = [];
    const ref = system.spawn(
      receive<Msg>(
        (ctx, m) => {
          if (typeof m === 'function') return m(ctx);
          if (m === 'boom') throw new Error('boom');
          handled.push({ msg: m, at: ctx.system.clock.now() });
        },
        (ctx, s) => {
          if (s.type === 'PreRestart') ctx.timers.startSingleTimer('late', 'from PreRestart', 10);
        },
      ),
    );
    ref.tell('boom');
    await settle();
    await advance(100);
    expect(handled).toEqual([]);
  });

  it('leave no pending clock timer behind when one is started from PostStop', async () => {
    const { system, settle, advance, clock } = testSystem();
    const ref = system.spawn(
      receive<Msg>(
        () => undefined,
        (ctx, s) => {
          if (s.type === 'PostStop') ctx.timers.startSingleTimer('late', 'from PostStop', 10);
        },
      ),
    );
    await settle();
    system.stop(ref);
    await settle();
    expect(clock.pendingTimers).toBe(0);
    await advance(100);
  });
});
