import {
  AbstractBehavior,
  ActorInitializationError,
  type ActorContext,
  type ActorRef,
  type Behavior,
  empty,
  ignore,
  InvalidBehaviorError,
  type Next,
  receive,
  receiveMessage,
  receiveSignal,
  same,
  setup,
  type Signal,
  stopped,
  SupervisorStrategy,
  unhandled,
} from '../src';
import { testSystem } from './testSystem';

/** A promise the test settles by hand. */
function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Top-level actors are stopped (not restarted) on failure, so a failing actor produces one clean failure. */
const stopOnFailure = { supervisorStrategy: SupervisorStrategy.oneForOne(() => 'stop') };

describe('receive', () => {
  it('handles messages one at a time, in the order they were sent', async () => {
    const { system, settle } = testSystem();
    const seen: number[] = [];
    const ref = system.spawn(receiveMessage<number>((n) => void seen.push(n)));
    for (let i = 0; i < 200; i++) ref.tell(i);
    await settle();
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('passes the actor its own context, whose self is the ref it was spawned as', async () => {
    const { system, settle } = testSystem();
    let self: ActorRef<string> | undefined;
    const ref = system.spawn(
      receive<string>((ctx) => {
        self = ctx.self;
      }),
    );
    ref.tell('x');
    await settle();
    expect(self).toBe(ref);
  });

  it('uses the behaviour a handler returns for the next message, so state can live in behaviours', async () => {
    const { system, settle } = testSystem();
    type Msg = { type: 'inc' } | { type: 'get'; replyTo: ActorRef<number> };
    const counter = (n: number): Behavior<Msg> =>
      receiveMessage<Msg>((m) => {
        if (m.type === 'inc') return counter(n + 1);
        m.replyTo.tell(n);
      });
    const replies: number[] = [];
    const probe = system.spawn(receiveMessage<number>((n) => void replies.push(n)));
    const ref = system.spawn(counter(0));
    ref.tell({ type: 'get', replyTo: probe });
    ref.tell({ type: 'inc' });
    ref.tell({ type: 'inc' });
    ref.tell({ type: 'get', replyTo: probe });
    ref.tell({ type: 'inc' });
    ref.tell({ type: 'get', replyTo: probe });
    await settle();
    expect(replies).toEqual([0, 2, 3]);
  });

  it('keeps the current behaviour when a handler returns same() or nothing', async () => {
    const { system, settle } = testSystem();
    const seen: string[] = [];
    const ref = system.spawn(
      receiveMessage<string>((m) => {
        seen.push(m);
        return m === 'a' ? same() : undefined;
      }),
    );
    ref.tell('a');
    ref.tell('b');
    ref.tell('a');
    await settle();
    expect(seen).toEqual(['a', 'b', 'a']);
  });
});

describe('setup', () => {
  it('runs its factory exactly once when the actor starts, not once per message', async () => {
    const { system, settle } = testSystem();
    let setups = 0;
    const seen: string[] = [];
    const ref = system.spawn(
      setup<string>(() => {
        setups++;
        return receiveMessage((m) => void seen.push(m));
      }),
    );
    ref.tell('a');
    ref.tell('b');
    ref.tell('c');
    await settle();
    expect(setups).toBe(1);
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('runs the factory before the first message is handled, with the actor context', async () => {
    const { system, settle } = testSystem();
    const log: string[] = [];
    const ref = system.spawn(
      setup<string>((ctx) => {
        log.push(`setup ${ctx.self.path}`);
        return receiveMessage((m) => void log.push(m));
      }),
      's',
    );
    ref.tell('first');
    await settle();
    expect(log).toEqual(['setup /user/s', 'first']);
  });

  it('holds messages until an async setup resolves, then handles them in order with the resolved behaviour', async () => {
    const { system, settle } = testSystem();
    const gate = deferred();
    const log: string[] = [];
    const ref = system.spawn(
      setup<string>(async () => {
        log.push('setup started');
        await gate.promise;
        log.push('setup done');
        return receiveMessage<string>((m) => void log.push(m));
      }),
    );
    ref.tell('a');
    ref.tell('b');
    await settle();
    expect(log).toEqual(['setup started']);
    ref.tell('c');
    await settle();
    expect(log).toEqual(['setup started']);
    gate.resolve();
    await settle();
    expect(log).toEqual(['setup started', 'setup done', 'a', 'b', 'c']);
  });
});

describe('setup failures', () => {
  it('fail the actor with ActorInitializationError, caused by what the setup threw or rejected with', async () => {
    for (const style of ['throw', 'reject'] as const) {
      const { system, settle, eventsOf } = testSystem();
      const cause = new Error(`${style} in setup`);
      const ref = system.spawn(
        setup<string>(() => {
          if (style === 'throw') throw cause;
          return Promise.reject(cause);
        }),
        'broken',
      );
      ref.tell('never handled');
      await settle();
      const failed = eventsOf('actor-failed');
      expect(failed.map((e) => e.ref.path)).toEqual(['/user/broken']);
      expect(failed[0].error).toBeInstanceOf(ActorInitializationError);
      expect(failed[0].error).toMatchObject({ code: 'ACTOR_ERR_INIT', cause });
      // The default decider stops an actor that cannot start, rather than restarting it into the same failure.
      expect(eventsOf('supervision').map((d) => d.directive)).toEqual(['stop']);
      expect(eventsOf('dead-letter').map((d) => d.message)).toEqual(['never handled']);
    }
  });
});

describe('stopped', () => {
  it('stops the actor: it publishes actor-stopped and later messages become dead letters', async () => {
    const { system, settle, eventsOf } = testSystem();
    const seen: string[] = [];
    const ref = system.spawn(
      receiveMessage<string>((m) => {
        seen.push(m);
        if (m === 'stop') return stopped();
      }),
      'stopper',
    );
    ref.tell('a');
    ref.tell('stop');
    ref.tell('after');
    await settle();
    expect(seen).toEqual(['a', 'stop']);
    expect(eventsOf('actor-stopped').map((e) => e.ref)).toEqual([ref]);
    expect(eventsOf('dead-letter')).toEqual([
      expect.objectContaining({
        recipient: '/user/stopper',
        message: 'after',
        reason: 'recipient-terminated',
      }),
    ]);
    ref.tell('later');
    expect(eventsOf('dead-letter').map((d) => [d.message, d.reason])).toEqual([
      ['after', 'recipient-terminated'],
      ['later', 'recipient-terminated'],
    ]);
  });

  it('delivers PostStop to the previous behaviour and then runs the stopped(postStop) callback', async () => {
    const { system, settle } = testSystem();
    const log: string[] = [];
    const ref = system.spawn(
      receive<string>(
        (_ctx, m) => {
          log.push(`msg ${m}`);
          return stopped(() => log.push('postStop callback'));
        },
        (_ctx, signal) => {
          log.push(`signal ${signal.type}`);
        },
      ),
    );
    ref.tell('bye');
    await settle();
    expect(log).toEqual(['msg bye', 'signal PostStop', 'postStop callback']);
  });

  it('stops the actor when an async handler resolves to stopped()', async () => {
    const { system, settle, eventsOf } = testSystem();
    const seen: string[] = [];
    const ref = system.spawn(
      receiveMessage<string>(async (m) => {
        seen.push(m);
        await Promise.resolve();
        return stopped();
      }),
    );
    ref.tell('a');
    ref.tell('b');
    await settle();
    expect(seen).toEqual(['a']);
    expect(eventsOf('actor-stopped').map((e) => e.ref)).toEqual([ref]);
    expect(eventsOf('dead-letter').map((d) => d.message)).toEqual(['b']);
  });

  it('does not deliver PostStop more than once, and handles nothing after stopping', async () => {
    const { system, settle } = testSystem();
    const signals: string[] = [];
    const ref = system.spawn(
      receive<string>(
        () => stopped(),
        (_ctx, s) => void signals.push(s.type),
      ),
    );
    ref.tell('1');
    ref.tell('2');
    await settle();
    system.stop(ref);
    await settle();
    expect(signals).toEqual(['PostStop']);
  });
});

describe('async handlers', () => {
  it('hold the mailbox until the returned promise settles, so messages never interleave', async () => {
    const { system, settle } = testSystem();
    const gate = deferred();
    const log: string[] = [];
    const ref = system.spawn(
      receiveMessage<string>(async (m) => {
        log.push(`start ${m}`);
        if (m === 'first') await gate.promise;
        log.push(`end ${m}`);
      }),
    );
    ref.tell('first');
    ref.tell('second');
    await settle();
    expect(log).toEqual(['start first']);
    gate.resolve();
    await settle();
    expect(log).toEqual(['start first', 'end first', 'start second', 'end second']);
  });

  it('still let system messages through: a stop takes effect while the promise is pending, and its outcome is dropped', async () => {
    const { system, settle, eventsOf } = testSystem();
    const gate = deferred();
    const log: string[] = [];
    const ref = system.spawn(
      receive<string>(
        async (_ctx, m) => {
          log.push(`start ${m}`);
          await gate.promise;
          log.push(`end ${m}`);
          return receiveMessage<string>((m2) => void log.push(`next behaviour got ${m2}`));
        },
        (_ctx, s) => void log.push(`signal ${s.type}`),
      ),
      'busy',
    );
    ref.tell('first');
    ref.tell('second');
    await settle();
    system.stop(ref);
    await settle();
    expect(eventsOf('actor-stopped').map((e) => e.ref)).toEqual([ref]);
    expect(eventsOf('dead-letter').map((d) => [d.message, d.reason])).toEqual([
      ['second', 'recipient-terminated'],
    ]);
    gate.resolve();
    await settle();
    // The handler's own code runs to its end, but the actor does not come back to life.
    expect(log).toEqual(['start first', 'signal PostStop', 'end first']);
    ref.tell('third');
    await settle();
    expect(log).not.toContain('next behaviour got third');
  });

  it('use the behaviour an async handler resolves to for the next message', async () => {
    const { system, settle } = testSystem();
    const seen: string[] = [];
    const second: Behavior<string> = receiveMessage((m) => void seen.push(`second ${m}`));
    const ref = system.spawn(
      receiveMessage<string>(async (m) => {
        seen.push(`first ${m}`);
        await Promise.resolve();
        return second;
      }),
    );
    ref.tell('a');
    ref.tell('b');
    ref.tell('c');
    await settle();
    expect(seen).toEqual(['first a', 'second b', 'second c']);
  });

  it('treat a rejected promise as a failure, exactly like a throw', async () => {
    const thrown = new Error('thrown');
    const rejected = new Error('rejected');
    const run = async (handler: (m: string) => Next<string>) => {
      const t = testSystem(stopOnFailure);
      const ref = t.system.spawn(receiveMessage<string>(handler), 'failing');
      ref.tell('boom');
      ref.tell('after');
      await t.settle();
      return { t, ref };
    };
    const sync = await run(() => {
      throw thrown;
    });
    const handled: string[] = [];
    const async = await run(async (m) => {
      handled.push(m);
      await Promise.resolve();
      throw rejected;
    });

    for (const [{ t, ref }, error] of [
      [sync, thrown],
      [async, rejected],
    ] as const) {
      expect(t.eventsOf('actor-failed')).toEqual([expect.objectContaining({ ref, error })]);
      expect(t.eventsOf('supervision')).toEqual([
        expect.objectContaining({ child: ref, error, directive: 'stop' }),
      ]);
      expect(t.eventsOf('actor-stopped').map((e) => e.ref)).toEqual([ref]);
      expect(t.eventsOf('dead-letter').map((d) => [d.message, d.reason])).toEqual([
        ['after', 'recipient-terminated'],
      ]);
    }
    expect(handled).toEqual(['boom']);
  });

  it('restart the actor after an async rejection under the default strategy, like after a throw', async () => {
    for (const style of ['throw', 'reject'] as const) {
      const { system, settle, eventsOf } = testSystem();
      const err = new Error(`${style} boom`);
      let starts = 0;
      const seen: string[] = [];
      const ref = system.spawn(
        setup<string>(() => {
          starts++;
          return receiveMessage<string>((m) => {
            if (style === 'throw') {
              if (m === 'boom') throw err;
              seen.push(m);
              return;
            }
            return Promise.resolve().then(() => {
              if (m === 'boom') throw err;
              seen.push(m);
            });
          });
        }),
      );
      ref.tell('a');
      ref.tell('boom');
      ref.tell('b');
      await settle();
      expect(starts).toBe(2);
      expect(seen).toEqual(['a', 'b']);
      expect(eventsOf('supervision')).toEqual([
        expect.objectContaining({ child: ref, error: err, directive: 'restart' }),
      ]);
      expect(eventsOf('actor-restarted').map((e) => e.ref)).toEqual([ref]);
    }
  });

  it('report the error that caused a restart on the actor-restarted event, for a throw and a rejection alike', async () => {
    for (const style of ['throw', 'reject'] as const) {
      const { system, settle, eventsOf } = testSystem();
      const err = new Error(`${style} boom`);
      const ref = system.spawn(
        receiveMessage<string>((): Next<string> => {
          if (style === 'throw') throw err;
          return Promise.reject(err);
        }),
      );
      ref.tell('boom');
      await settle();
      expect(eventsOf('actor-restarted').map((e) => [e.ref.path, e.error])).toEqual([[ref.path, err]]);
    }
  });
});

describe('AbstractBehavior', () => {
  type CounterMsg = { type: 'inc' } | { type: 'get'; replyTo: ActorRef<string> };
  const log: string[] = [];
  class Counter extends AbstractBehavior<CounterMsg> {
    private n = 0;
    onMessage(m: CounterMsg): Next<CounterMsg> {
      if (m.type === 'inc') this.n++;
      else m.replyTo.tell(`${this.context.self.name}=${this.n}`);
      return this;
    }
    override onSignal(signal: Signal): Next<CounterMsg> {
      if (signal.type === 'PostStop') log.push('PostStop');
      return same();
    }
  }

  it('keeps state in the instance and sees its context and signals', async () => {
    const { system, settle } = testSystem();
    log.length = 0;
    const replies: string[] = [];
    const probe = system.spawn(receiveMessage<string>((r) => void replies.push(r)));
    const ref = system.spawn(
      setup<CounterMsg>((ctx) => new Counter(ctx)),
      'counter',
    );
    ref.tell({ type: 'inc' });
    ref.tell({ type: 'inc' });
    ref.tell({ type: 'get', replyTo: probe });
    ref.tell({ type: 'inc' });
    ref.tell({ type: 'get', replyTo: probe });
    await settle();
    expect(replies).toEqual(['counter=2', 'counter=3']);
    system.stop(ref);
    await settle();
    expect(log).toEqual(['PostStop']);
  });

  it('can switch to another behaviour, and a new instance starts from fresh state', async () => {
    const { system, settle } = testSystem();
    const seen: string[] = [];
    class Greeter extends AbstractBehavior<string> {
      constructor(
        ctx: ActorContext<string>,
        private readonly greeting: string,
      ) {
        super(ctx);
      }
      onMessage(m: string): Next<string> {
        seen.push(`${this.greeting} ${m}`);
        if (m === 'switch') return new Greeter(this.context, 'bye');
        return this;
      }
    }
    const ref = system.spawn(setup<string>((ctx) => new Greeter(ctx, 'hi')));
    ref.tell('a');
    ref.tell('switch');
    ref.tell('b');
    await settle();
    expect(seen).toEqual(['hi a', 'hi switch', 'bye b']);
  });
});

describe('unhandled, empty and ignore', () => {
  it('publishes an unhandled event when a handler returns unhandled(), and keeps the behaviour', async () => {
    const { system, settle, eventsOf } = testSystem();
    const seen: string[] = [];
    const ref = system.spawn(
      receiveMessage<string>((m) => {
        if (m.startsWith('?')) return unhandled();
        seen.push(m);
      }),
    );
    ref.tell('a');
    ref.tell('?what');
    ref.tell('b');
    await settle();
    expect(seen).toEqual(['a', 'b']);
    expect(eventsOf('unhandled')).toEqual([expect.objectContaining({ recipient: ref, message: '?what' })]);
    expect(eventsOf('actor-failed')).toEqual([]);
  });

  it('publishes an unhandled event for an async handler that resolves to unhandled()', async () => {
    const { system, settle, eventsOf } = testSystem();
    const ref = system.spawn(receiveMessage<string>(async () => unhandled()));
    ref.tell('x');
    await settle();
    expect(eventsOf('unhandled')).toEqual([expect.objectContaining({ recipient: ref, message: 'x' })]);
  });

  it('empty() publishes every message as unhandled', async () => {
    const { system, settle, eventsOf } = testSystem();
    const ref = system.spawn(empty<number>());
    ref.tell(1);
    ref.tell(2);
    await settle();
    expect(eventsOf('unhandled').map((e) => [e.recipient, e.message])).toEqual([
      [ref, 1],
      [ref, 2],
    ]);
    expect(eventsOf('dead-letter')).toEqual([]);
  });

  it('ignore() drops every message silently: no unhandled events, no dead letters, no failure', async () => {
    const { system, settle, eventsOf, events } = testSystem();
    const ref = system.spawn(ignore<number>());
    await settle();
    const before = events.length;
    ref.tell(1);
    ref.tell(2);
    await settle();
    expect(eventsOf('unhandled')).toEqual([]);
    expect(events.slice(before)).toEqual([]);
    expect(system.stats().messages).toBeGreaterThanOrEqual(2);
  });
});

describe('receiveSignal', () => {
  it('handles signals and treats every message as unhandled', async () => {
    const { system, settle, eventsOf } = testSystem();
    const signals: string[] = [];
    const ref = system.spawn(receiveSignal<string>((_ctx, s) => void signals.push(s.type)));
    ref.tell('m');
    await settle();
    system.stop(ref);
    await settle();
    expect(eventsOf('unhandled').map((e) => e.message)).toEqual(['m']);
    expect(signals).toEqual(['PostStop']);
  });
});

describe('invalid behaviours', () => {
  it('fails an actor whose initial behaviour is same() with InvalidBehaviorError', async () => {
    const { system, settle, eventsOf } = testSystem(stopOnFailure);
    const ref = system.spawn(same<string>(), 'same');
    await settle();
    const failed = eventsOf('actor-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].ref).toBe(ref);
    expect(failed[0].error).toBeInstanceOf(InvalidBehaviorError);
    expect(failed[0].error).toMatchObject({ code: 'ACTOR_ERR_INVALID_BEHAVIOR' });
    expect(eventsOf('supervision')[0].error).toBeInstanceOf(InvalidBehaviorError);
    expect(eventsOf('actor-stopped').map((e) => e.ref)).toEqual([ref]);
  });

  it('fails an actor whose setup returns same() with InvalidBehaviorError', async () => {
    const { system, settle, eventsOf } = testSystem(stopOnFailure);
    system.spawn(setup<string>(() => same()));
    await settle();
    expect(eventsOf('actor-failed').map((e) => (e.error as InvalidBehaviorError).code)).toEqual([
      'ACTOR_ERR_INVALID_BEHAVIOR',
    ]);
  });

  it('fails an actor whose handler returns something that is not a behaviour', async () => {
    const { system, settle, eventsOf } = testSystem(stopOnFailure);
    const ref = system.spawn(receiveMessage<string>(() => 42 as unknown as Behavior<string>));
    ref.tell('x');
    await settle();
    expect(eventsOf('actor-failed')).toHaveLength(1);
    expect(eventsOf('actor-failed')[0].error).toBeInstanceOf(InvalidBehaviorError);
  });
});

describe('pipeToSelf', () => {
  type Msg =
    { type: 'load'; p: Promise<number> } | { type: 'ok'; value: number } | { type: 'err'; error: unknown };

  it('delivers a resolved value and a rejection as messages, mapped by the given functions', async () => {
    const { system, settle } = testSystem();
    const seen: Msg[] = [];
    const failure = new Error('nope');
    const ref = system.spawn(
      receive<Msg>((ctx, m) => {
        if (m.type === 'load') {
          ctx.pipeToSelf(
            m.p,
            (value) => ({ type: 'ok', value }),
            (error) => ({ type: 'err', error }),
          );
        } else {
          seen.push(m);
        }
      }),
    );
    const a = deferred<number>();
    const b = deferred<number>();
    ref.tell({ type: 'load', p: a.promise });
    ref.tell({ type: 'load', p: b.promise });
    await settle();
    expect(seen).toEqual([]);
    b.reject(failure);
    await settle();
    a.resolve(7);
    await settle();
    expect(seen).toEqual([
      { type: 'err', error: failure },
      { type: 'ok', value: 7 },
    ]);
  });

  it('does not block the mailbox while the piped promise is pending', async () => {
    const { system, settle } = testSystem();
    const seen: string[] = [];
    const never = deferred<string>();
    const ref = system.spawn(
      receive<string>((ctx, m) => {
        seen.push(m);
        if (m === 'pipe')
          ctx.pipeToSelf(
            never.promise,
            (v) => v,
            () => 'failed',
          );
      }),
    );
    ref.tell('pipe');
    ref.tell('next');
    await settle();
    expect(seen).toEqual(['pipe', 'next']);
  });

  it('fails the actor with the error a mapper throws', async () => {
    const { system, settle, eventsOf } = testSystem(stopOnFailure);
    const mapperError = new Error('mapper broke');
    const seen: string[] = [];
    const ref = system.spawn(
      receive<string>((ctx, m) => {
        seen.push(m);
        if (m === 'pipe') {
          ctx.pipeToSelf(
            Promise.resolve(1),
            () => {
              throw mapperError;
            },
            () => 'failed',
          );
        }
      }),
    );
    ref.tell('pipe');
    await settle();
    expect(seen).toEqual(['pipe']);
    expect(eventsOf('actor-failed')).toEqual([expect.objectContaining({ ref, error: mapperError })]);
    expect(eventsOf('supervision')).toEqual([expect.objectContaining({ child: ref, error: mapperError })]);
  });

  it('fails the actor when the failure mapper throws', async () => {
    const { system, settle, eventsOf } = testSystem(stopOnFailure);
    const mapperError = new Error('failure mapper broke');
    const ref = system.spawn(
      receive<string>((ctx, m) => {
        if (m === 'pipe') {
          ctx.pipeToSelf(
            Promise.reject(new Error('source')),
            () => 'ok',
            () => {
              throw mapperError;
            },
          );
        }
      }),
    );
    ref.tell('pipe');
    await settle();
    expect(eventsOf('actor-failed')).toEqual([expect.objectContaining({ ref, error: mapperError })]);
  });
});
