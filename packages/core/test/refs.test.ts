import {
  type ActorContext,
  ActorError,
  ActorNameTakenError,
  type ActorRef,
  ask,
  createActorSystem,
  ignore,
  InvalidActorNameError,
  InvalidArgumentError,
  receive,
  receiveMessage,
  setup,
  stopped,
  SystemTerminatedError,
} from '../src';
import { testSystem } from './testSystem';

/** Runs `fn` and returns what it threw (or undefined). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** A parent that runs the function it is sent inside its own handler, with its context. */
type Run = (ctx: ActorContext<Run>) => void;
const runner = receive<Run>((ctx, fn) => fn(ctx));

describe('paths and addresses', () => {
  it('gives top-level actors a path under /user and children one under their parent', async () => {
    const { system, settle } = testSystem();
    let child: ActorRef<never> | undefined;
    let grandchild: ActorRef<never> | undefined;
    const parent = system.spawn(
      setup<never>((ctx) => {
        child = ctx.spawn(
          setup<never>((c) => {
            grandchild = c.spawn(ignore<never>(), 'grandchild');
            return ignore();
          }),
          'child',
        );
        return ignore();
      }),
      'parent',
    );
    await settle();
    expect(parent.path).toBe('/user/parent');
    expect(parent.name).toBe('parent');
    expect(child?.path).toBe('/user/parent/child');
    expect(child?.name).toBe('child');
    expect(grandchild?.path).toBe('/user/parent/child/grandchild');
  });

  it('renders the full address with the system name', () => {
    const { system } = testSystem();
    const ref = system.spawn(ignore<never>(), 'parent');
    expect(ref.toString()).toBe('troupe://test/user/parent');
    expect(String(ref)).toBe('troupe://test/user/parent');
  });

  it('reports the parent of a child as its context parent', async () => {
    const { system, settle } = testSystem();
    let seenParent: ActorRef<never> | undefined;
    const parent = system.spawn(
      setup<never>((ctx) => {
        ctx.spawn(
          setup<never>((c) => {
            seenParent = c.parent;
            return ignore();
          }),
          'kid',
        );
        return ignore();
      }),
      'p',
    );
    await settle();
    expect(seenParent).toBe(parent);
  });
});

describe('actor names', () => {
  it('refuses a second live top-level actor with the same name with ActorNameTakenError', () => {
    const { system } = testSystem();
    system.spawn(ignore<never>(), 'dup');
    const e = thrownBy(() => system.spawn(ignore<never>(), 'dup'));
    expect(e).toBeInstanceOf(ActorNameTakenError);
    expect(e).toBeInstanceOf(ActorError);
    expect(e).toMatchObject({ code: 'ACTOR_ERR_NAME_TAKEN' });
  });

  it('refuses a second live child with the same name, but allows the same name under another parent', async () => {
    const { system, settle } = testSystem();
    const a = system.spawn(runner, 'a');
    const b = system.spawn(runner, 'b');
    const errors: unknown[] = [];
    const paths: string[] = [];
    const spawnTwice: Run = (ctx) => {
      paths.push(ctx.spawn(ignore<never>(), 'worker').path);
      errors.push(thrownBy(() => ctx.spawn(ignore<never>(), { name: 'worker' })));
    };
    a.tell(spawnTwice);
    b.tell(spawnTwice);
    await settle();
    expect(paths).toEqual(['/user/a/worker', '/user/b/worker']);
    expect(errors).toHaveLength(2);
    for (const e of errors) {
      expect(e).toBeInstanceOf(ActorNameTakenError);
      expect(e).toMatchObject({ code: 'ACTOR_ERR_NAME_TAKEN' });
    }
  });

  it('lets a name be used again once the sibling that had it has terminated', async () => {
    const { system, settle } = testSystem();
    const first = system.spawn(ignore<never>(), 'reused');
    system.stop(first);
    await settle();
    const second = system.spawn(
      receiveMessage<string>(() => undefined),
      'reused',
    );
    expect(second).not.toBe(first);
    expect(second.path).toBe('/user/reused');
  });

  it('lets a child name be used again after the child stopped itself', async () => {
    const { system, settle } = testSystem();
    const parent = system.spawn(runner, 'parent');
    let child: ActorRef<string> | undefined;
    parent.tell((ctx) => {
      child = ctx.spawn(
        receiveMessage<string>(() => stopped()),
        'kid',
      );
    });
    await settle();
    child!.tell('stop yourself');
    await settle();
    let again: unknown = 'not run';
    let path: string | undefined;
    parent.tell((ctx) => {
      again = thrownBy(() => (path = ctx.spawn(ignore<never>(), 'kid').path));
    });
    await settle();
    expect(again).toBeUndefined();
    expect(path).toBe('/user/parent/kid');
  });

  it.each([
    ['the empty name', ''],
    ['a name starting with $', '$x'],
    ['a name with a slash', 'a/b'],
    ['a name of 256 characters', 'n'.repeat(256)],
    ['a name with a space', 'a b'],
  ])('refuses %s with InvalidActorNameError', (_label, name) => {
    const { system } = testSystem();
    for (const options of [name, { name }]) {
      const e = thrownBy(() => system.spawn(ignore<never>(), options));
      expect(e).toBeInstanceOf(InvalidActorNameError);
      expect(e).toMatchObject({ code: 'ACTOR_ERR_INVALID_NAME' });
    }
    expect(system.stats().liveActors).toBe(1); // only the receptionist
  });

  it('refuses an invalid child name from ctx.spawn with InvalidActorNameError', async () => {
    const { system, settle } = testSystem();
    const parent = system.spawn(runner);
    const errors: unknown[] = [];
    parent.tell((ctx) => {
      for (const name of ['', '$x', 'a/b', 'n'.repeat(256)])
        errors.push(thrownBy(() => ctx.spawn(ignore<never>(), name)));
    });
    await settle();
    expect(errors.map((e) => (e as InvalidActorNameError).code)).toEqual(
      Array(4).fill('ACTOR_ERR_INVALID_NAME'),
    );
    for (const e of errors) expect(e).toBeInstanceOf(InvalidActorNameError);
  });

  it('accepts names of 255 characters and the allowed punctuation', () => {
    const { system } = testSystem();
    expect(system.spawn(ignore<never>(), 'n'.repeat(255)).name).toBe('n'.repeat(255));
    expect(system.spawn(ignore<never>(), 'a-b_c.d:e@f~g$h').name).toBe('a-b_c.d:e@f~g$h');
  });

  it('gives anonymous actors unique names starting with $', async () => {
    const { system, settle } = testSystem();
    const top = Array.from({ length: 50 }, () => system.spawn(ignore<never>()));
    const parent = system.spawn(runner);
    const kids: ActorRef<never>[] = [];
    parent.tell((ctx) => {
      for (let i = 0; i < 50; i++) kids.push(ctx.spawn(ignore<never>()));
    });
    await settle();
    const names = [...top, ...kids].map((r) => r.name);
    for (const n of names) expect(n).toMatch(/^\$/);
    expect(new Set(names).size).toBe(100);
    for (const r of top) expect(r.path).toBe(`/user/${r.name}`);
    for (const k of kids) expect(k.path).toBe(`${parent.path}/${k.name}`);
  });
});

describe('children', () => {
  it('lists live children in start order and finds them by name', async () => {
    const { system, settle } = testSystem();
    const parent = system.spawn(runner, 'parent');
    let listed: string[] = [];
    let anon: ActorRef<never> | undefined;
    let found: (ActorRef<never> | undefined)[] = [];
    parent.tell((ctx) => {
      ctx.spawn(ignore<never>(), 'c');
      ctx.spawn(ignore<never>(), 'a');
      anon = ctx.spawn(ignore<never>());
      ctx.spawn(ignore<never>(), 'b');
      listed = ctx.children.map((c) => c.name);
      found = [ctx.child('a'), ctx.child(anon.name), ctx.child('missing')];
    });
    await settle();
    expect(listed).toEqual(['c', 'a', anon!.name, 'b']);
    expect(found[0]?.path).toBe('/user/parent/a');
    expect(found[1]).toBe(anon);
    expect(found[2]).toBeUndefined();
  });

  it('drops a stopped child from ctx.children and ctx.child', async () => {
    const { system, settle } = testSystem();
    const parent = system.spawn(runner, 'parent');
    parent.tell((ctx) => {
      ctx.spawn(ignore<never>(), 'x');
      ctx.spawn(ignore<never>(), 'y');
      ctx.spawn(ignore<never>(), 'z');
    });
    parent.tell((ctx) => ctx.stop(ctx.child('y')!));
    await settle();
    let listed: string[] = [];
    let y: ActorRef<never> | undefined;
    parent.tell((ctx) => {
      listed = ctx.children.map((c) => c.name);
      y = ctx.child('y');
    });
    await settle();
    expect(listed).toEqual(['x', 'z']);
    expect(y).toBeUndefined();
  });

  it('refuses to ctx.stop an actor that is not a child with InvalidArgumentError, and leaves it running', async () => {
    const { system, settle, eventsOf } = testSystem();
    const sibling = system.spawn(
      receiveMessage<string>(() => undefined),
      'sibling',
    );
    const parent = system.spawn(runner, 'parent');
    let grandchild: ActorRef<never> | undefined;
    parent.tell((ctx) => {
      ctx.spawn(
        setup<never>((c) => {
          grandchild = c.spawn(ignore<never>(), 'grandchild');
          return ignore();
        }),
        'child',
      );
    });
    await settle();
    const errors: unknown[] = [];
    parent.tell((ctx) => {
      errors.push(thrownBy(() => ctx.stop(sibling)));
      errors.push(thrownBy(() => ctx.stop(grandchild!)));
      errors.push(thrownBy(() => ctx.stop(ctx.self)));
    });
    await settle();
    expect(errors).toHaveLength(3);
    for (const e of errors) {
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect(e).toMatchObject({ code: 'ACTOR_ERR_INVALID_ARGUMENT' });
    }
    expect(eventsOf('actor-stopped')).toEqual([]);
  });
});

describe('a terminated system', () => {
  it('refuses to spawn once terminate() has completed, with SystemTerminatedError', async () => {
    const { system, settle } = testSystem();
    const done = system.terminate();
    await settle();
    await done;
    const e = thrownBy(() => system.spawn(ignore<never>()));
    expect(e).toBeInstanceOf(SystemTerminatedError);
    expect(e).toMatchObject({ code: 'ACTOR_ERR_SYSTEM_TERMINATED' });
  });

  it('refuses to spawn while terminating, as soon as terminate() has been called', async () => {
    const { system, settle, eventsOf } = testSystem();
    void system.terminate();
    const e = thrownBy(() => system.spawn(ignore<never>(), 'late'));
    await settle();
    expect(e).toBeInstanceOf(SystemTerminatedError);
    expect(e).toMatchObject({ code: 'ACTOR_ERR_SYSTEM_TERMINATED' });
    expect(eventsOf('actor-spawned').map((s) => s.ref.path)).not.toContain('/user/late');
  });
});

describe('createActorSystem', () => {
  it.each([[''], ['has space'], ['a/b'], ['-leading-dash'], ['dot.ted']])(
    'refuses the system name %j with InvalidArgumentError',
    (name) => {
      const e = thrownBy(() => createActorSystem({ name, logLevel: 'off', executor: () => undefined }));
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect(e).toMatchObject({ code: 'ACTOR_ERR_INVALID_ARGUMENT' });
    },
  );

  it('refuses a missing system name with InvalidArgumentError', () => {
    const e = thrownBy(() => createActorSystem({ logLevel: 'off' } as never));
    expect(e).toBeInstanceOf(InvalidArgumentError);
  });

  it('refuses a throughput below 1 with InvalidArgumentError', () => {
    const e = thrownBy(() => createActorSystem({ name: 'ok', throughput: 0, executor: () => undefined }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
  });
});

/*
 * Type-level checks. `npx tsc -b packages/core/test` fails if any `@ts-expect-error` below is not an error, or if
 * any other line is; the runtime halves of these tests check that what compiles also behaves.
 */
type Ping = { type: 'ping' };
type Pong = { type: 'pong' };
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

describe('typed refs (checked by tsc)', () => {
  it('does not compile a tell of a message the ref does not accept', async () => {
    const { system, settle } = testSystem();
    const seen: Ping[] = [];
    const ping: ActorRef<Ping> = system.spawn(receiveMessage<Ping>((m) => void seen.push(m)));
    const compileOnly = (): void => {
      // @ts-expect-error: a pong is not a ping
      ping.tell({ type: 'pong' });
      // @ts-expect-error: not a message at all
      ping.tell('ping');
      // @ts-expect-error: a message is required
      ping.tell();
    };
    ping.tell({ type: 'ping' });
    await settle();
    expect(seen).toEqual([{ type: 'ping' }]);
    expect(typeof compileOnly).toBe('function');
  });

  it('lets an ActorRef<A | B> be used as an ActorRef<A>, but not the reverse', async () => {
    const { system, settle } = testSystem();
    const seen: (Ping | Pong)[] = [];
    const both: ActorRef<Ping | Pong> = system.spawn(receiveMessage<Ping | Pong>((m) => void seen.push(m)));
    const onlyPing: ActorRef<Ping> = both;
    onlyPing.tell({ type: 'ping' });
    const onlyPingRef: ActorRef<Ping> = system.spawn(receiveMessage<Ping>(() => undefined));
    const compileOnly = (): void => {
      // @ts-expect-error: an actor that only takes pings cannot be sent pongs
      const widened: ActorRef<Ping | Pong> = onlyPingRef;
      void widened;
      // @ts-expect-error: nor can a ping-only ref stand in for a pong-only one
      const other: ActorRef<Pong> = onlyPingRef;
      void other;
    };
    await settle();
    expect(seen).toEqual([{ type: 'ping' }]);
    expect(typeof compileOnly).toBe('function');
  });

  it('infers the reply type of ask from the reply-to ref', async () => {
    const { system, settle } = testSystem();
    type Get = { type: 'get'; replyTo: ActorRef<number> };
    const ref = system.spawn(receiveMessage<Get>((m) => m.replyTo.tell(42)));
    const reply = ask(ref, (replyTo: ActorRef<number>): Get => ({ type: 'get', replyTo }));
    const inferred: Equals<typeof reply, Promise<number>> = true;
    const compileOnly = async (): Promise<void> => {
      // @ts-expect-error: the reply is a number, not a string
      const s: string = await reply;
      void s;
      // @ts-expect-error: the request must be a message the target accepts
      void ask(ref, (replyTo: ActorRef<number>) => ({ type: 'put', replyTo }));
    };
    await settle();
    await expect(reply).resolves.toBe(42);
    expect(inferred).toBe(true);
    expect(typeof compileOnly).toBe('function');
  });
});
