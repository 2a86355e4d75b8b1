import {
  type ActorContext,
  type ActorRef,
  DeathPactError,
  ignore,
  receive,
  receiveMessage,
  type Signal,
  stopped,
  SupervisorStrategy,
  unhandled,
} from '../src';
import { testSystem } from './testSystem';

/**
 * A watcher driven from the test: it runs the functions it is sent with its context, records every message it
 * gets as `msg <x>` and every Terminated signal as `terminated <path>`.
 */
type WatcherMsg = string | ((ctx: ActorContext<WatcherMsg>) => void | Promise<void>);
function watcher(log: string[], onTerminated: 'handle' | 'leave-unhandled' = 'handle') {
  return receive<WatcherMsg>(
    (ctx, m) => {
      if (typeof m === 'function') return m(ctx);
      log.push(`msg ${m}`);
    },
    (_ctx, s: Signal) => {
      if (s.type === 'Terminated') {
        if (onTerminated === 'leave-unhandled') return unhandled();
        log.push(`terminated ${s.ref.path}`);
      }
    },
  );
}

const target = () => receiveMessage<string>((m) => (m === 'stop' ? stopped() : undefined));

describe('death watch', () => {
  it('delivers Terminated once when the watched actor stops', async () => {
    const { system, settle } = testSystem();
    const log: string[] = [];
    const w = system.spawn(watcher(log), 'w');
    const t = system.spawn(target(), 't');
    w.tell((ctx) => ctx.watch(t));
    await settle();
    expect(log).toEqual([]);
    t.tell('stop');
    await settle();
    expect(log).toEqual(['terminated /user/t']);
  });

  it('delivers Terminated exactly once, even when watched twice', async () => {
    const { system, settle } = testSystem();
    const log: string[] = [];
    const w = system.spawn(watcher(log), 'w');
    const t = system.spawn(target(), 't');
    w.tell((ctx) => {
      ctx.watch(t);
      ctx.watch(t);
    });
    w.tell((ctx) => ctx.watch(t));
    await settle();
    t.tell('stop');
    await settle();
    system.stop(t); // already gone: changes nothing
    await settle();
    expect(log).toEqual(['terminated /user/t']);
  });

  it('delivers Terminated to every watcher of the same actor', async () => {
    const { system, settle } = testSystem();
    const logA: string[] = [];
    const logB: string[] = [];
    const a = system.spawn(watcher(logA), 'a');
    const b = system.spawn(watcher(logB), 'b');
    const t = system.spawn(target(), 't');
    a.tell((ctx) => ctx.watch(t));
    b.tell((ctx) => ctx.watch(t));
    await settle();
    system.stop(t);
    await settle();
    expect(logA).toEqual(['terminated /user/t']);
    expect(logB).toEqual(['terminated /user/t']);
  });

  it('delivers Terminated at once when the watched actor is already dead', async () => {
    const { system, settle } = testSystem();
    const log: string[] = [];
    const t = system.spawn(target(), 't');
    system.stop(t);
    await settle();
    const w = system.spawn(watcher(log), 'w');
    w.tell((ctx) => ctx.watch(t));
    w.tell('after watch');
    await settle();
    expect(log).toEqual(['msg after watch', 'terminated /user/t']);
  });

  it('delivers the watchWith message instead of the Terminated signal', async () => {
    const { system, settle } = testSystem();
    const log: string[] = [];
    const w = system.spawn(watcher(log), 'w');
    const t = system.spawn(target(), 't');
    w.tell((ctx) => ctx.watchWith(t, 'custom: t is gone'));
    await settle();
    t.tell('stop');
    await settle();
    expect(log).toEqual(['msg custom: t is gone']);
  });

  it('delivers the watchWith message at once for an already-dead actor', async () => {
    const { system, settle } = testSystem();
    const log: string[] = [];
    const t = system.spawn(target(), 't');
    system.stop(t);
    await settle();
    const w = system.spawn(watcher(log), 'w');
    w.tell((ctx) => ctx.watchWith(t, 'gone already'));
    await settle();
    expect(log).toEqual(['msg gone already']);
  });

  it('uses the latest message when watchWith is called again for the same actor, and still delivers once', async () => {
    const { system, settle } = testSystem();
    const log: string[] = [];
    const w = system.spawn(watcher(log), 'w');
    const t = system.spawn(target(), 't');
    w.tell((ctx) => {
      ctx.watchWith(t, 'first');
      ctx.watchWith(t, 'second');
    });
    await settle();
    system.stop(t);
    await settle();
    expect(log).toEqual(['msg second']);
  });

  it('drops a notice that arrives after unwatch', async () => {
    const { system, settle } = testSystem();
    const log: string[] = [];
    const w = system.spawn(watcher(log), 'w');
    const t = system.spawn(target(), 't');
    w.tell((ctx) => ctx.watch(t));
    await settle();
    w.tell((ctx) => ctx.unwatch(t));
    await settle();
    system.stop(t);
    await settle();
    expect(log).toEqual([]);
  });

  it('drops the notice when the watched actor dies while the unwatch is still on its way', async () => {
    const { system, settle, eventsOf } = testSystem();
    const log: string[] = [];
    const w = system.spawn(watcher(log), 'w');
    const t = system.spawn(target(), 't');
    w.tell((ctx) => ctx.watch(t));
    await settle();
    w.tell((ctx) => ctx.unwatch(t));
    w.tell('after');
    system.stop(t);
    await settle();
    expect(log).toEqual(['msg after']);
    expect(eventsOf('actor-failed')).toEqual([]);
  });

  it('drops a queued notice when unwatch is called by a message handled before it', async () => {
    const { system, settle, eventsOf } = testSystem();
    const log: string[] = [];
    const w = system.spawn(watcher(log), 'w');
    const t = system.spawn(target(), 't');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    w.tell((ctx) => ctx.watchWith(t, 'watched-with notice'));
    await settle();
    // Hold w's mailbox, so that t's death notice is queued behind the unwatch.
    w.tell(() => gate);
    w.tell((ctx) => ctx.unwatch(t));
    system.stop(t);
    await settle();
    expect(eventsOf('actor-stopped').map((e) => e.ref)).toEqual([t]);
    release();
    await settle();
    expect(log).toEqual([]);
    expect(eventsOf('dead-letter')).toEqual([]);
  });

  it('fails a watcher that does not handle Terminated with DeathPactError', async () => {
    const { system, settle, eventsOf } = testSystem({
      supervisorStrategy: SupervisorStrategy.oneForOne(() => 'stop'),
    });
    const log: string[] = [];
    const w = system.spawn(watcher(log, 'leave-unhandled'), 'w');
    const t = system.spawn(target(), 't');
    w.tell((ctx) => ctx.watch(t));
    await settle();
    system.stop(t);
    await settle();
    const failed = eventsOf('actor-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].ref).toBe(w);
    expect(failed[0].error).toBeInstanceOf(DeathPactError);
    expect(failed[0].error).toMatchObject({ code: 'ACTOR_ERR_DEATH_PACT' });
    const decision = eventsOf('supervision');
    expect(decision).toHaveLength(1);
    expect(decision[0].error).toBeInstanceOf(DeathPactError);
  });

  it('fails a watcher with no signal handler at all with DeathPactError', async () => {
    const { system, settle, eventsOf } = testSystem({
      supervisorStrategy: SupervisorStrategy.oneForOne(() => 'stop'),
    });
    const t = system.spawn(target(), 't');
    const w = system.spawn(
      receive<string>((ctx) => {
        ctx.watch(t);
      }),
      'w',
    );
    w.tell('watch');
    await settle();
    system.stop(t);
    await settle();
    expect(eventsOf('actor-failed').map((e) => [e.ref, (e.error as DeathPactError).code])).toEqual([
      [w, 'ACTOR_ERR_DEATH_PACT'],
    ]);
  });

  it('fails the watcher with DeathPactError when an async signal handler resolves to unhandled(), as a sync one does', async () => {
    const { system, settle, eventsOf } = testSystem({
      supervisorStrategy: SupervisorStrategy.oneForOne(() => 'stop'),
    });
    const t = system.spawn(target(), 't');
    const w = system.spawn(
      receive<string>(
        (ctx) => {
          ctx.watch(t);
        },
        async () => unhandled(),
      ),
      'w',
    );
    w.tell('watch');
    await settle();
    system.stop(t);
    await settle();
    const failed = eventsOf('actor-failed');
    expect(failed.map((e) => e.ref.path)).toEqual([w.path]);
    expect(failed[0].error).toBeInstanceOf(DeathPactError);
    expect(failed[0].error).toMatchObject({ code: 'ACTOR_ERR_DEATH_PACT', terminated: '/user/t' });
    expect(eventsOf('unhandled')).toHaveLength(0);
  });

  it('lets a watcher stop itself in response to Terminated', async () => {
    const { system, settle, eventsOf } = testSystem();
    const t = system.spawn(target(), 't');
    const w = system.spawn(
      receive<string>(
        (ctx) => {
          ctx.watch(t);
        },
        (_ctx, s) => (s.type === 'Terminated' ? stopped() : undefined),
      ),
      'w',
    );
    w.tell('watch');
    await settle();
    t.tell('stop');
    await settle();
    expect(eventsOf('actor-stopped').map((e) => e.ref)).toEqual([t, w]);
    expect(eventsOf('actor-failed')).toEqual([]);
  });

  it('does not fail a watcher whose behaviour is ignore()', async () => {
    const { system, settle, eventsOf } = testSystem();
    const t = system.spawn(target(), 't');
    const w = system.spawn(
      receive<string>((ctx) => {
        ctx.watch(t);
        return ignore();
      }),
      'w',
    );
    w.tell('watch');
    await settle();
    system.stop(t);
    await settle();
    expect(eventsOf('actor-failed')).toEqual([]);
  });

  it('delivers Terminated after the messages the dead actor sent before it stopped', async () => {
    const { system, settle } = testSystem();
    const log: string[] = [];
    const w = system.spawn(watcher(log), 'w');
    const t = system.spawn(
      receiveMessage<string>((m) => {
        for (let i = 1; i <= 3; i++) w.tell(`${m} ${i}`);
        return stopped();
      }),
      't',
    );
    w.tell((ctx) => ctx.watch(t));
    await settle();
    t.tell('last words');
    await settle();
    expect(log).toEqual(['msg last words 1', 'msg last words 2', 'msg last words 3', 'terminated /user/t']);
  });

  it('delivers Terminated after messages the dead actor sent from its PostStop handler', async () => {
    const { system, settle } = testSystem();
    const log: string[] = [];
    const w = system.spawn(watcher(log), 'w');
    const t = system.spawn(
      receive<string>(
        () => undefined,
        (_ctx, s) => {
          if (s.type === 'PostStop') w.tell('goodbye from PostStop');
        },
      ),
      't',
    );
    w.tell((ctx) => ctx.watch(t));
    await settle();
    system.stop(t);
    await settle();
    expect(log).toEqual(['msg goodbye from PostStop', 'terminated /user/t']);
  });

  it('sends no notices to a watcher that has stopped', async () => {
    const { system, settle, eventsOf } = testSystem();
    const log: string[] = [];
    const w = system.spawn(watcher(log), 'w');
    const t = system.spawn(target(), 't');
    w.tell((ctx) => ctx.watchWith(t, 'watched-with notice'));
    await settle();
    system.stop(w);
    await settle();
    system.stop(t);
    await settle();
    expect(log).toEqual([]);
    // Had the watch survived the watcher, the watched-with notice would be a dead letter.
    expect(eventsOf('dead-letter')).toEqual([]);
  });

  it('forgets the watches of a watcher that restarts: the new incarnation gets no notice', async () => {
    const { system, settle, eventsOf } = testSystem();
    const log: string[] = [];
    const t = system.spawn(target(), 't');
    const w = system.spawn(
      receive<WatcherMsg>(
        (ctx, m) => {
          if (typeof m === 'function') m(ctx);
          else if (m === 'boom') throw new Error('boom');
          else log.push(`msg ${m}`);
        },
        (_ctx, s) => {
          if (s.type === 'Terminated') log.push(`terminated ${s.ref.path}`);
        },
      ),
      'w',
    );
    w.tell((ctx) => ctx.watch(t));
    w.tell('boom');
    await settle();
    expect(eventsOf('actor-restarted').map((e) => e.ref)).toEqual([w]);
    system.stop(t);
    w.tell('still alive');
    await settle();
    expect(log).toEqual(['msg still alive']);
  });

  it('lets a watcher watch again after the first Terminated and get a second notice for a new actor', async () => {
    const { system, settle } = testSystem();
    const log: string[] = [];
    const w = system.spawn(watcher(log), 'w');
    const t1 = system.spawn(target(), 't');
    w.tell((ctx) => ctx.watch(t1));
    await settle();
    system.stop(t1);
    await settle();
    const t2: ActorRef<string> = system.spawn(target(), 't');
    w.tell((ctx) => ctx.watch(t2));
    await settle();
    t2.tell('stop');
    await settle();
    expect(log).toEqual(['terminated /user/t', 'terminated /user/t']);
  });

  it('ignores a watch of itself', async () => {
    const { system, settle, eventsOf } = testSystem();
    const log: string[] = [];
    const w = system.spawn(watcher(log), 'w');
    w.tell((ctx) => ctx.watch(ctx.self));
    await settle();
    system.stop(w);
    await settle();
    expect(log).toEqual([]);
    expect(eventsOf('actor-failed')).toEqual([]);
  });
});
