import {
  ActorInitializationError,
  type ActorRef,
  type Behavior,
  type Decider,
  PostStop,
  PreRestart,
  receive,
  RestartLimitExceededError,
  setup,
  type SpawnOptions,
  stopped,
  SupervisorStrategy,
} from '../src';
import { testSystem } from './testSystem';

class Boom extends Error {}
class Minor extends Error {}

type Cmd =
  | { type: 'inc' }
  | { type: 'fail'; error?: Error }
  | { type: 'get'; replyTo: ActorRef<number> }
  | { type: 'stop' };

/** A counter that records its lifecycle in `log` under `name`. */
function counter(name: string, log: string[]): Behavior<Cmd> {
  return setup<Cmd>(() => {
    log.push(`${name}:start`);
    let n = 0;
    return receive<Cmd>(
      (_ctx, m) => {
        switch (m.type) {
          case 'inc':
            n++;
            log.push(`${name}:${n}`);
            return;
          case 'fail':
            throw m.error ?? new Boom(name);
          case 'get':
            m.replyTo.tell(n);
            return;
          case 'stop':
            return stopped();
        }
      },
      (_ctx, sig) => {
        if (sig.type === 'PreRestart' || sig.type === 'PostStop') log.push(`${name}:${sig.type}`);
      },
    );
  });
}

/** A parent that spawns the given children, in order, and tells them nothing. */
function parentOf(
  children: { name: string; behavior: Behavior<Cmd>; options?: SpawnOptions }[],
  onStart?: (refs: Map<string, ActorRef<Cmd>>) => void,
): Behavior<never> {
  return setup<never>((ctx) => {
    const refs = new Map<string, ActorRef<Cmd>>();
    for (const c of children) refs.set(c.name, ctx.spawn(c.behavior, { name: c.name, ...c.options }));
    onStart?.(refs);
    return receive<never>(() => undefined);
  });
}

async function spawnFamily(
  strategy: SupervisorStrategy,
  names: string[],
  options: SpawnOptions = {},
): Promise<{ t: ReturnType<typeof testSystem>; log: string[]; kids: Map<string, ActorRef<Cmd>> }> {
  const t = testSystem();
  const log: string[] = [];
  let kids!: Map<string, ActorRef<Cmd>>;
  t.system.spawn(
    parentOf(
      names.map((name) => ({ name, behavior: counter(name, log), options })),
      (refs) => (kids = refs),
    ),
    { name: 'sup', supervisorStrategy: strategy },
  );
  await t.settle();
  log.length = 0;
  return { t, log, kids };
}

describe('supervision directives', () => {
  it('resumes a child with its state kept when the decider says resume', async () => {
    const { t, log, kids } = await spawnFamily(
      SupervisorStrategy.oneForOne(() => 'resume'),
      ['a'],
    );
    const a = kids.get('a')!;
    a.tell({ type: 'inc' });
    a.tell({ type: 'fail' });
    a.tell({ type: 'inc' });
    await t.settle();
    expect(log).toEqual(['a:1', 'a:2']);
    const [decision] = t.eventsOf('supervision');
    expect(decision.directive).toBe('resume');
    expect(decision.error).toBeInstanceOf(Boom);
    expect(decision.child).toBe(a);
  });

  it('restarts a child from its factory with fresh state, after PreRestart reaches the old behaviour', async () => {
    const { t, log, kids } = await spawnFamily(SupervisorStrategy.oneForOne(), ['a']);
    const a = kids.get('a')!;
    a.tell({ type: 'inc' });
    a.tell({ type: 'fail' });
    a.tell({ type: 'inc' });
    await t.settle();
    expect(log).toEqual(['a:1', 'a:PreRestart', 'a:start', 'a:1']);
    expect(t.eventsOf('actor-restarted').map((e) => e.ref)).toEqual([a]);
  });

  it('keeps the same ref across a restart, so messages sent to it keep arriving', async () => {
    const { t, log, kids } = await spawnFamily(SupervisorStrategy.oneForOne(), ['a']);
    const a = kids.get('a')!;
    a.tell({ type: 'fail' });
    await t.settle();
    a.tell({ type: 'inc' });
    await t.settle();
    expect(log).toContain('a:1');
  });

  it('stops a child when the decider says stop, and its queued messages become dead letters', async () => {
    const { t, log, kids } = await spawnFamily(
      SupervisorStrategy.oneForOne(() => 'stop'),
      ['a'],
    );
    const a = kids.get('a')!;
    a.tell({ type: 'fail' });
    a.tell({ type: 'inc' });
    await t.settle();
    expect(log).toEqual(['a:PostStop']);
    expect(t.eventsOf('actor-stopped').map((e) => e.ref)).toEqual([a]);
    expect(t.eventsOf('dead-letter')).toEqual([
      expect.objectContaining({
        recipient: '/user/sup/a',
        reason: 'recipient-terminated',
        message: { type: 'inc' },
      }),
    ]);
  });

  it('chooses the directive from the error', async () => {
    const decider: Decider = (e) => (e instanceof Minor ? 'resume' : 'restart');
    const { t, log, kids } = await spawnFamily(SupervisorStrategy.oneForOne(decider), ['a']);
    const a = kids.get('a')!;
    a.tell({ type: 'inc' });
    a.tell({ type: 'fail', error: new Minor() });
    a.tell({ type: 'inc' });
    a.tell({ type: 'fail', error: new Boom() });
    a.tell({ type: 'inc' });
    await t.settle();
    expect(log).toEqual(['a:1', 'a:2', 'a:PreRestart', 'a:start', 'a:1']);
    expect(t.eventsOf('supervision').map((e) => e.directive)).toEqual(['resume', 'restart']);
  });

  it('escalates a failure when the decider throws, so a bug in a decider is never swallowed', async () => {
    const t = testSystem({ onRootFailure: () => undefined });
    const log: string[] = [];
    let kids!: Map<string, ActorRef<Cmd>>;
    t.system.spawn(
      parentOf([{ name: 'a', behavior: counter('a', log) }], (r) => (kids = r)),
      {
        name: 'sup',
        supervisorStrategy: SupervisorStrategy.oneForOne(() => {
          throw new Error('decider bug');
        }),
      },
    );
    await t.settle();
    kids.get('a')!.tell({ type: 'fail' });
    await t.settle();
    expect(t.eventsOf('supervision').map((e) => [e.child.path, e.directive])).toEqual([
      ['/user/sup/a', 'escalate'],
      ['/user/sup', 'restart'],
    ]);
  });
});

describe('supervision strategies', () => {
  it('one-for-one restarts only the child that failed', async () => {
    const { t, log, kids } = await spawnFamily(SupervisorStrategy.oneForOne(), ['a', 'b', 'c']);
    kids.get('b')!.tell({ type: 'fail' });
    await t.settle();
    expect(log).toEqual(['b:PreRestart', 'b:start']);
  });

  it('all-for-one restarts every child when one fails', async () => {
    const { t, log, kids } = await spawnFamily(SupervisorStrategy.allForOne(), ['a', 'b', 'c']);
    for (const k of kids.values()) k.tell({ type: 'inc' });
    await t.settle();
    log.length = 0;
    kids.get('b')!.tell({ type: 'fail' });
    await t.settle();
    expect(log.filter((l) => l.endsWith('PreRestart')).sort()).toEqual([
      'a:PreRestart',
      'b:PreRestart',
      'c:PreRestart',
    ]);
    expect(log.filter((l) => l.endsWith('start') && !l.includes('Pre')).sort()).toEqual([
      'a:start',
      'b:start',
      'c:start',
    ]);
    // All state is fresh: one more inc counts from 1 everywhere.
    log.length = 0;
    for (const k of kids.values()) k.tell({ type: 'inc' });
    await t.settle();
    expect(log.sort()).toEqual(['a:1', 'b:1', 'c:1']);
  });

  it('rest-for-one restarts the failed child and those started after it, not those before', async () => {
    const { t, log, kids } = await spawnFamily(SupervisorStrategy.restForOne(), ['a', 'b', 'c']);
    kids.get('b')!.tell({ type: 'fail' });
    await t.settle();
    expect(log.filter((l) => l.endsWith('PreRestart')).sort()).toEqual(['b:PreRestart', 'c:PreRestart']);
    expect(log.some((l) => l.startsWith('a:'))).toBe(false);
  });

  it('counts an all-for-one restart once against the budget', async () => {
    const { t, kids } = await spawnFamily(SupervisorStrategy.allForOne().withLimit(2, 1000), ['a', 'b', 'c']);
    kids.get('a')!.tell({ type: 'fail' });
    await t.settle();
    kids.get('c')!.tell({ type: 'fail' });
    await t.settle();
    expect(t.eventsOf('supervision').map((e) => e.directive)).toEqual(['restart', 'restart']);
  });
});

describe('restart types', () => {
  it('restarts a permanent child that stops by itself, keeping its ref', async () => {
    const { t, log, kids } = await spawnFamily(SupervisorStrategy.oneForOne(), ['a'], {
      restart: 'permanent',
    });
    const a = kids.get('a')!;
    a.tell({ type: 'stop' });
    await t.settle();
    expect(log).toEqual(['a:PostStop', 'a:start']);
    a.tell({ type: 'inc' });
    await t.settle();
    expect(log).toContain('a:1');
    expect(t.eventsOf('actor-stopped')).toEqual([]);
  });

  it('does not restart a transient child that stops by itself, but does after a failure', async () => {
    const { t, log, kids } = await spawnFamily(SupervisorStrategy.oneForOne(), ['a', 'b'], {
      restart: 'transient',
    });
    kids.get('a')!.tell({ type: 'fail' });
    kids.get('b')!.tell({ type: 'stop' });
    await t.settle();
    expect(log.sort()).toEqual(['a:PreRestart', 'a:start', 'b:PostStop'].sort());
    expect(t.eventsOf('actor-stopped').map((e) => e.ref.path)).toEqual(['/user/sup/b']);
  });

  it('stops a temporary child instead of restarting it', async () => {
    const { t, log, kids } = await spawnFamily(SupervisorStrategy.oneForOne(), ['a'], {
      restart: 'temporary',
    });
    kids.get('a')!.tell({ type: 'fail' });
    await t.settle();
    expect(log).toEqual(['a:PostStop']);
    expect(t.eventsOf('supervision')[0].directive).toBe('stop');
  });

  it('stops a temporary sibling during an all-for-one restart instead of restarting it', async () => {
    const t = testSystem();
    const log: string[] = [];
    let kids!: Map<string, ActorRef<Cmd>>;
    t.system.spawn(
      parentOf(
        [
          { name: 'a', behavior: counter('a', log) },
          { name: 'tmp', behavior: counter('tmp', log), options: { restart: 'temporary' } },
        ],
        (r) => (kids = r),
      ),
      { name: 'sup', supervisorStrategy: SupervisorStrategy.allForOne() },
    );
    await t.settle();
    log.length = 0;
    kids.get('a')!.tell({ type: 'fail' });
    await t.settle();
    expect(log.sort()).toEqual(['a:PreRestart', 'a:start', 'tmp:PostStop'].sort());
  });
});

describe('restart budget', () => {
  it('restarts the child at most 3 times within 1s, then the supervisor itself fails and escalates', async () => {
    const t = testSystem({ onRootFailure: () => undefined });
    const log: string[] = [];
    let kids!: Map<string, ActorRef<Cmd>>;
    const sup = t.system.spawn(
      parentOf([{ name: 'a', behavior: counter('a', log) }], (r) => (kids = r)),
      { name: 'sup', supervisorStrategy: SupervisorStrategy.oneForOne().withLimit(3, 1000) },
    );
    await t.settle();
    for (let i = 0; i < 3; i++) {
      kids.get('a')!.tell({ type: 'fail' });
      await t.advance(100);
    }
    expect(t.eventsOf('supervision').map((e) => e.directive)).toEqual(['restart', 'restart', 'restart']);
    kids.get('a')!.tell({ type: 'fail' });
    await t.settle();
    const decisions = t.eventsOf('supervision');
    const overBudget = decisions[3];
    expect(overBudget.child.path).toBe('/user/sup/a');
    expect(overBudget.directive).toBe('escalate');
    expect(overBudget.error).toBeInstanceOf(RestartLimitExceededError);
    expect((overBudget.error as RestartLimitExceededError).code).toBe('ACTOR_ERR_RESTART_LIMIT');
    expect((overBudget.error as Error).cause).toBeInstanceOf(Boom);
    // The supervisor failed: its own parent (the user guardian, default strategy) restarted it.
    expect(decisions[4]).toEqual(expect.objectContaining({ child: sup, directive: 'restart' }));
    expect(t.eventsOf('actor-failed').map((e) => e.ref.path)).toEqual([
      '/user/sup/a',
      '/user/sup/a',
      '/user/sup/a',
      '/user/sup/a',
      '/user/sup',
    ]);
  });

  it('forgets restarts older than the window, so a slow trickle of failures is restarted forever', async () => {
    const { t, kids } = await spawnFamily(SupervisorStrategy.oneForOne().withLimit(3, 1000), ['a']);
    for (let i = 0; i < 10; i++) {
      kids.get('a')!.tell({ type: 'fail' });
      await t.advance(400); // at most 3 failures in any 1000 ms window
    }
    expect(t.eventsOf('supervision').map((e) => e.directive)).toEqual(Array(10).fill('restart'));
  });

  it('allows a fresh burst once the window has passed', async () => {
    const { t, kids } = await spawnFamily(SupervisorStrategy.oneForOne().withLimit(3, 1000), ['a']);
    for (let i = 0; i < 3; i++) kids.get('a')!.tell({ type: 'fail' });
    await t.settle();
    await t.advance(1001);
    for (let i = 0; i < 3; i++) kids.get('a')!.tell({ type: 'fail' });
    await t.settle();
    expect(t.eventsOf('supervision').map((e) => e.directive)).toEqual(Array(6).fill('restart'));
  });

  it('with a limit of 0 never restarts: the first failure fails the supervisor', async () => {
    const { t, kids } = await spawnFamily(SupervisorStrategy.oneForOne().withLimit(0, 1000), ['a']);
    kids.get('a')!.tell({ type: 'fail' });
    await t.settle();
    expect(t.eventsOf('supervision')[0].error).toBeInstanceOf(RestartLimitExceededError);
  });
});

describe('restart with backoff', () => {
  it('waits min, 2×min, 4×min (capped at max) of virtual time between restarts', async () => {
    const strategy = SupervisorStrategy.oneForOne()
      .withLimit(Infinity, 1000)
      .withBackoff({ minMs: 100, maxMs: 300, randomFactor: 0, resetAfterMs: 10_000 });
    const { t, log, kids } = await spawnFamily(strategy, ['a']);
    const a = kids.get('a')!;
    const restartTimes: number[] = [];
    t.system.events.subscribe('actor-restarted', () => restartTimes.push(t.clock.now()));
    for (let i = 0; i < 4; i++) {
      const failedAt = t.clock.now();
      a.tell({ type: 'fail' });
      await t.settle();
      expect(log.filter((l) => l === 'a:start')).toHaveLength(i); // not yet restarted
      await t.advance(1000);
      expect(restartTimes[i] - failedAt).toBe([100, 200, 300, 300][i]);
    }
    expect(t.eventsOf('supervision').map((e) => e.delayMs)).toEqual([100, 200, 300, 300]);
  });

  it('adds seeded jitter of at most randomFactor × delay', async () => {
    const strategy = SupervisorStrategy.oneForOne().withBackoff({
      minMs: 100,
      maxMs: 1000,
      randomFactor: 0.5,
    });
    const { t, kids } = await spawnFamily(strategy, ['a']);
    kids.get('a')!.tell({ type: 'fail' });
    await t.settle();
    const [d] = t.eventsOf('supervision').map((e) => e.delayMs!);
    expect(d).toBeGreaterThanOrEqual(100);
    expect(d).toBeLessThanOrEqual(150);
    expect(d).not.toBe(100); // the seeded draw is not zero
  });

  it('keeps messages sent during the backoff and delivers them, in order, to the restarted actor', async () => {
    const strategy = SupervisorStrategy.oneForOne().withBackoff({ minMs: 500, maxMs: 500, randomFactor: 0 });
    const { t, log, kids } = await spawnFamily(strategy, ['a']);
    const a = kids.get('a')!;
    a.tell({ type: 'fail' });
    await t.settle();
    a.tell({ type: 'inc' });
    a.tell({ type: 'inc' });
    await t.advance(499);
    expect(log).toEqual([]); // not restarted yet: not even PreRestart
    await t.advance(1);
    expect(log).toEqual(['a:PreRestart', 'a:start', 'a:1', 'a:2']);
  });

  it('starts again from minMs once the child has run longer than resetAfterMs', async () => {
    const strategy = SupervisorStrategy.oneForOne().withBackoff({
      minMs: 100,
      maxMs: 10_000,
      randomFactor: 0,
      resetAfterMs: 1000,
    });
    const { t, kids } = await spawnFamily(strategy, ['a']);
    const a = kids.get('a')!;
    a.tell({ type: 'fail' });
    await t.advance(150);
    a.tell({ type: 'fail' });
    await t.advance(250);
    await t.advance(2000);
    a.tell({ type: 'fail' });
    await t.advance(150);
    expect(t.eventsOf('supervision').map((e) => e.delayMs)).toEqual([100, 200, 100]);
  });
});

describe('escalation', () => {
  it('escalates through three levels until a supervisor restarts, which restarts the whole subtree', async () => {
    const t = testSystem();
    const log: string[] = [];
    let leaf!: ActorRef<Cmd>;
    const escalate = SupervisorStrategy.oneForOne(() => 'escalate');
    const lifecycle = (name: string) =>
      receive<never>(
        () => undefined,
        (_c, s) => {
          if (s.type === 'PreRestart' || s.type === 'PostStop') log.push(`${name}:${s.type}`);
        },
      );
    // /user/top (restarts) > mid (escalates) > low (escalates) > leaf (fails)
    const low = setup<never>((ctx) => {
      log.push('low:start');
      leaf = ctx.spawn(counter('leaf', log), 'leaf');
      return lifecycle('low');
    });
    const mid = setup<never>((ctx) => {
      log.push('mid:start');
      ctx.spawn(low, { name: 'low', supervisorStrategy: escalate });
      return lifecycle('mid');
    });
    const top = setup<never>((ctx) => {
      ctx.spawn(mid, { name: 'mid', supervisorStrategy: escalate });
      return lifecycle('top');
    });
    t.system.spawn(top, { name: 'top', supervisorStrategy: SupervisorStrategy.oneForOne(() => 'restart') });
    await t.settle();
    expect(log).toEqual(['mid:start', 'low:start', 'leaf:start']);
    log.length = 0;
    const firstLeaf = leaf;
    firstLeaf.tell({ type: 'fail' });
    await t.settle();
    expect(t.eventsOf('supervision').map((e) => [e.supervisor.path, e.child.path, e.directive])).toEqual([
      ['/user/top/mid/low', '/user/top/mid/low/leaf', 'escalate'],
      ['/user/top/mid', '/user/top/mid/low', 'escalate'],
      ['/user/top', '/user/top/mid', 'restart'],
    ]);
    expect(t.eventsOf('actor-failed').map((e) => e.ref.path)).toEqual([
      '/user/top/mid/low/leaf',
      '/user/top/mid/low',
      '/user/top/mid',
    ]);
    // mid restarts: its subtree stops bottom-up, then starts afresh top-down.
    expect(log).toEqual([
      'mid:PreRestart',
      'leaf:PostStop',
      'low:PostStop',
      'mid:start',
      'low:start',
      'leaf:start',
    ]);
    expect(leaf).not.toBe(firstLeaf);
    expect(leaf.path).toBe(firstLeaf.path);
  });

  it('resumes the failed descendants too when an escalated failure is resumed above', async () => {
    const t = testSystem();
    const log: string[] = [];
    let leaf!: ActorRef<Cmd>;
    t.system.spawn(
      setup<never>((ctx) => {
        ctx.spawn(
          setup<never>((c2) => {
            leaf = c2.spawn(counter('leaf', log), 'leaf');
            return receive<never>(() => undefined);
          }),
          { name: 'mid', supervisorStrategy: SupervisorStrategy.oneForOne(() => 'escalate') },
        );
        return receive<never>(() => undefined);
      }),
      { name: 'top', supervisorStrategy: SupervisorStrategy.oneForOne(() => 'resume') },
    );
    await t.settle();
    leaf.tell({ type: 'inc' });
    leaf.tell({ type: 'fail' });
    leaf.tell({ type: 'inc' });
    await t.settle();
    expect(log).toEqual(['leaf:start', 'leaf:1', 'leaf:2']);
  });

  it('hands a failure that reaches the root to the configured handler and stops the failing top-level actor', async () => {
    const failures: { child: string; error: unknown }[] = [];
    const t = testSystem({
      supervisorStrategy: SupervisorStrategy.oneForOne(() => 'escalate'),
      onRootFailure: (f) => failures.push({ child: f.child.path, error: f.error }),
    });
    const log: string[] = [];
    const a = t.system.spawn(counter('a', log), 'a');
    await t.settle();
    a.tell({ type: 'fail' });
    await t.settle();
    expect(failures).toEqual([{ child: '/user/a', error: expect.any(Boom) }]);
    expect(t.eventsOf('root-failure')).toHaveLength(1);
    expect(log).toContain('a:PostStop');
    expect(t.system.isTerminated).toBe(false);
  });

  it('terminates the system by default when a failure reaches the root', async () => {
    const t = testSystem({ supervisorStrategy: SupervisorStrategy.oneForOne(() => 'escalate') });
    const a = t.system.spawn(counter('a', []), 'a');
    a.tell({ type: 'fail' });
    await t.settle();
    expect(t.system.isTerminated).toBe(true);
    await expect(t.system.whenTerminated).resolves.toBeUndefined();
  });
});

describe('failures in the lifecycle', () => {
  it('wraps a crash inside setup in ActorInitializationError, which the default decider stops', async () => {
    const t = testSystem();
    const cause = new Boom('setup');
    const ref = t.system.spawn(
      setup<Cmd>(() => {
        throw cause;
      }),
      'broken',
    );
    await t.settle();
    const [decision] = t.eventsOf('supervision');
    expect(decision.error).toBeInstanceOf(ActorInitializationError);
    expect((decision.error as ActorInitializationError).code).toBe('ACTOR_ERR_INIT');
    expect((decision.error as Error).cause).toBe(cause);
    expect(decision.directive).toBe('stop');
    expect(t.eventsOf('actor-stopped').map((e) => e.ref)).toEqual([ref]);
  });

  it('treats a rejected async setup like a crash inside setup', async () => {
    const t = testSystem();
    t.system.spawn(
      setup<Cmd>(async () => Promise.reject(new Boom('async setup'))),
      'broken',
    );
    await t.settle();
    expect(t.eventsOf('supervision')[0].error).toBeInstanceOf(ActorInitializationError);
  });

  it('restarts a crash inside setup when the decider says so, until the budget runs out', async () => {
    const failures: unknown[] = [];
    const t = testSystem({
      supervisorStrategy: SupervisorStrategy.oneForOne(() => 'restart').withLimit(2, 1000),
      onRootFailure: (f) => failures.push(f.error),
    });
    let attempts = 0;
    t.system.spawn(
      setup<Cmd>(() => {
        attempts++;
        throw new Boom('setup');
      }),
      'broken',
    );
    await t.settle();
    expect(attempts).toBe(3);
    expect(failures).toEqual([expect.any(RestartLimitExceededError)]);
  });

  it('finishes stopping when PostStop throws, and reports the error as a log event', async () => {
    const t = testSystem();
    const watcherLog: string[] = [];
    const ref = t.system.spawn(
      receive<'x'>(
        () => undefined,
        (_c, s) => {
          if (s === PostStop) throw new Boom('in PostStop');
        },
      ),
      'x',
    );
    t.system.spawn(
      setup<never>((ctx) => {
        ctx.watch(ref);
        return receive<never>(
          () => undefined,
          (_c, s) => {
            if (s.type === 'Terminated') watcherLog.push(s.ref.path);
          },
        );
      }),
    );
    await t.settle();
    t.system.stop(ref);
    await t.settle();
    expect(watcherLog).toEqual(['/user/x']);
    const logged = t.eventsOf('log').filter((e) => e.level === 'error' && e.source === '/user/x');
    expect(logged.map((e) => e.data)).toEqual([expect.any(Boom)]);
  });

  it('goes on restarting when PreRestart throws', async () => {
    const t = testSystem();
    const ref = t.system.spawn(
      receive<Cmd>(
        (_c, m) => {
          if (m.type === 'fail') throw new Boom();
        },
        (_c, s) => {
          if (s === PreRestart) throw new Minor('in PreRestart');
        },
      ),
      'pr',
    );
    ref.tell({ type: 'fail' });
    await t.settle();
    expect(t.eventsOf('actor-restarted').map((e) => e.ref)).toEqual([ref]);
    expect(
      t
        .eventsOf('log')
        .filter((e) => e.level === 'error')
        .map((e) => e.data),
    ).toContainEqual(expect.any(Minor));
  });
});

describe('supervision events', () => {
  it('publishes every decision with supervisor, child, error, directive and strategy', async () => {
    const { t, kids } = await spawnFamily(
      SupervisorStrategy.restForOne(() => 'restart'),
      ['a', 'b'],
    );
    kids.get('a')!.tell({ type: 'fail' });
    await t.settle();
    expect(t.eventsOf('supervision')).toEqual([
      expect.objectContaining({
        supervisor: expect.objectContaining({ path: '/user/sup' }),
        child: kids.get('a'),
        error: expect.any(Boom),
        directive: 'restart',
        strategy: 'rest-for-one',
        timestamp: 0,
      }),
    ]);
    expect(t.eventsOf('actor-failed').map((e) => e.ref)).toEqual([kids.get('a')]);
  });
});
