import {
  type ActorRef,
  type Behavior,
  receive,
  setup,
  StopTimeoutError,
  SystemTerminatedError,
} from '../src';
import { testSystem } from './testSystem';

/** An actor that spawns `children` (each a tree of the same shape) and logs its start and PostStop. */
interface Tree {
  name: string;
  children?: Tree[];
}
function tree(node: Tree, log: string[]): Behavior<never> {
  return setup<never>((ctx) => {
    log.push(`start ${node.name}`);
    for (const c of node.children ?? []) ctx.spawn(tree(c, log), c.name);
    return receive<never>(
      () => undefined,
      (_c, s) => {
        if (s.type === 'PostStop') log.push(`stop ${node.name}`);
      },
    );
  });
}

describe('starting and stopping a tree', () => {
  const shape: Tree = {
    name: 'root',
    children: [
      { name: 'a', children: [{ name: 'a1' }, { name: 'a2' }] },
      { name: 'b' },
      { name: 'c', children: [{ name: 'c1' }] },
    ],
  };

  it('starts children in order, parent before children', async () => {
    const { system, settle } = testSystem();
    const log: string[] = [];
    system.spawn(tree(shape, log), 'root');
    await settle();
    expect(log).toEqual(['start root', 'start a', 'start b', 'start c', 'start a1', 'start a2', 'start c1']);
  });

  it('stops children in reverse start order, each after its own children, and the parent last', async () => {
    const { system, settle } = testSystem();
    const log: string[] = [];
    const root = system.spawn(tree(shape, log), 'root');
    await settle();
    log.length = 0;
    system.stop(root);
    await settle();
    expect(log).toEqual(['stop c1', 'stop c', 'stop b', 'stop a2', 'stop a1', 'stop a', 'stop root']);
  });

  it('terminates the whole system in the same order and resolves whenTerminated', async () => {
    const { system, settle, eventsOf } = testSystem();
    const log: string[] = [];
    system.spawn(tree({ name: 'x', children: [{ name: 'x1' }] }, log), 'x');
    system.spawn(tree({ name: 'y' }, log), 'y');
    await settle();
    log.length = 0;
    const done = system.terminate();
    await settle();
    await expect(done).resolves.toBeUndefined();
    expect(log).toEqual(['stop y', 'stop x1', 'stop x']);
    expect(system.isTerminated).toBe(true);
    expect(eventsOf('actor-stopped').map((e) => e.ref.path)).toEqual([
      '/user/y',
      '/user/x/x1',
      '/user/x',
      '/user',
      '/system/receptionist',
      '/system',
    ]);
    expect(system.stats().liveActors).toBe(0);
  });

  it('refuses to spawn once terminated', async () => {
    const { system, settle } = testSystem();
    void system.terminate();
    await settle();
    let caught: unknown;
    try {
      system.spawn(receive<never>(() => undefined));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SystemTerminatedError);
    expect((caught as SystemTerminatedError).code).toBe('ACTOR_ERR_SYSTEM_TERMINATED');
  });

  it('removes a stopped child from ctx.children and frees its name', async () => {
    const { system, settle } = testSystem();
    type M = { type: 'kill' } | { type: 'respawn' } | { type: 'list'; replyTo: ActorRef<string[]> };
    let names: string[] = [];
    const parent = system.spawn(
      setup<M>((ctx) => {
        ctx.spawn(
          receive<never>(() => undefined),
          'kid',
        );
        return receive<M>((_c, m) => {
          if (m.type === 'kill') ctx.stop(ctx.child('kid')!);
          if (m.type === 'respawn')
            ctx.spawn(
              receive<never>(() => undefined),
              'kid',
            );
          if (m.type === 'list') names = ctx.children.map((c) => c.name);
        });
      }),
    );
    await settle();
    parent.tell({ type: 'kill' });
    await settle();
    parent.tell({ type: 'list', replyTo: undefined as never });
    await settle();
    expect(names).toEqual([]);
    parent.tell({ type: 'respawn' });
    parent.tell({ type: 'list', replyTo: undefined as never });
    await settle();
    expect(names).toEqual(['kid']);
  });
});

describe('graceful stop', () => {
  it('handles the messages sent before it, then stops and resolves', async () => {
    const { system, settle } = testSystem();
    const handled: number[] = [];
    const ref = system.spawn(receive<number>((_c, n) => void handled.push(n)));
    ref.tell(1);
    ref.tell(2);
    const stopping = system.gracefulStop(ref, 1000);
    ref.tell(3); // after the stop: a dead letter
    await settle();
    await expect(stopping).resolves.toBeUndefined();
    expect(handled).toEqual([1, 2]);
  });

  it('stops by force and rejects with StopTimeoutError when the actor does not stop in time', async () => {
    const { system, settle, advance, eventsOf } = testSystem();
    let release!: () => void;
    const ref = system.spawn(
      receive<string>(() => new Promise<void>((resolve) => (release = resolve))), // holds its mailbox
    );
    ref.tell('hang');
    await settle();
    const stopping = system.gracefulStop(ref, 500);
    let outcome: unknown;
    stopping.catch((e) => (outcome = e));
    await advance(499);
    expect(outcome).toBeUndefined();
    expect(eventsOf('actor-stopped')).toEqual([]);
    await advance(1);
    expect(outcome).toBeInstanceOf(StopTimeoutError);
    expect((outcome as StopTimeoutError).code).toBe('ACTOR_ERR_STOP_TIMEOUT');
    expect(eventsOf('actor-stopped').map((e) => e.ref)).toEqual([ref]);
    release(); // the abandoned handler settling later changes nothing
    await settle();
    expect(eventsOf('actor-failed')).toEqual([]);
  });

  it('resolves at once for an actor that has already terminated', async () => {
    const { system, settle } = testSystem();
    const ref = system.spawn(receive<never>(() => undefined));
    system.stop(ref);
    await settle();
    await expect(system.gracefulStop(ref, 10)).resolves.toBeUndefined();
  });
});

describe('stopping an actor with an async handler in flight', () => {
  it('stops at once, and the pending handler result is ignored', async () => {
    const { system, settle, eventsOf } = testSystem();
    let release!: (v: unknown) => void;
    const handled: string[] = [];
    const ref = system.spawn(
      receive<string>((_c, m) => {
        handled.push(m);
        return new Promise((resolve) => (release = resolve)).then(() => {
          throw new Error('too late');
        });
      }),
    );
    ref.tell('a');
    ref.tell('b');
    await settle();
    system.stop(ref);
    await settle();
    expect(eventsOf('actor-stopped').map((e) => e.ref)).toEqual([ref]);
    release(undefined);
    await settle();
    expect(handled).toEqual(['a']);
    expect(eventsOf('actor-failed')).toEqual([]);
    expect(eventsOf('dead-letter').map((e) => e.message)).toEqual(['b']);
  });
});
