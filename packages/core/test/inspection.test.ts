import {
  type ActorRef,
  type ActorTreeNode,
  createSeededRandom,
  type InspectionEvent,
  InvalidArgumentError,
  type RandomSource,
  receive,
  receiveMessage,
  setup,
  stopped,
  SupervisorStrategy,
} from '../src';
import { testSystem } from './testSystem';

class Ping {
  constructor(readonly n: number) {}
}

type Cmd = { type: 'work' } | { type: 'fail' } | { type: 'stop' };

const worker = receive<Cmd>((_ctx, m) => {
  if (m.type === 'fail') throw new Error('boom');
  if (m.type === 'stop') return stopped();
});

/** A random source that counts its draws, to see whether anything still samples. */
function countingRandom(seed: number): RandomSource & { draws: number } {
  const inner = createSeededRandom(seed);
  const r = {
    draws: 0,
    next() {
      r.draws++;
      return inner.next();
    },
  };
  return r;
}

function find(node: ActorTreeNode, path: string): ActorTreeNode | undefined {
  if (node.path === path) return node;
  for (const c of node.children) {
    const hit = find(c, path);
    if (hit) return hit;
  }
  return undefined;
}

describe('system.inspect', () => {
  it('reports spawned, failed, restarted and stopped actors with their paths, on the system clock', async () => {
    const t = testSystem();
    const seen: InspectionEvent[] = [];
    t.system.inspect((e) => seen.push(e), { events: ['spawned', 'stopped', 'failed', 'restarted'] });
    t.clock.advance(1000);
    const ref = t.system.spawn(worker, 'w');
    await t.settle();
    t.clock.advance(500);
    ref.tell({ type: 'fail' });
    await t.settle();
    t.clock.advance(500);
    ref.tell({ type: 'stop' });
    await t.settle();

    expect(seen.map((e) => [e.kind, e.path, e.timestamp])).toEqual([
      ['spawned', '/user/w', 1000],
      ['failed', '/user/w', 1500],
      ['restarted', '/user/w', 1500],
      ['stopped', '/user/w', 2000],
    ]);
    expect((seen[2] as { error: unknown }).error).toBeInstanceOf(Error);
  });

  it('reports each received message with its type tag and the mailbox depth behind it', async () => {
    const t = testSystem();
    const seen: InspectionEvent[] = [];
    const ref = t.system.spawn(
      receiveMessage<unknown>(() => undefined),
      'sink',
    );
    await t.settle();
    t.system.inspect((e) => seen.push(e), { events: ['received'] });
    ref.tell({ type: 'order', id: 1 });
    ref.tell(new Ping(1));
    ref.tell({ kind: 'no type field' });
    ref.tell(42);
    await t.settle();

    expect(seen).toEqual([
      { kind: 'received', path: '/user/sink', timestamp: 0, messageType: 'order', mailboxSize: 3 },
      { kind: 'received', path: '/user/sink', timestamp: 0, messageType: 'Ping', mailboxSize: 2 },
      { kind: 'received', path: '/user/sink', timestamp: 0, messageType: 'Object', mailboxSize: 1 },
      { kind: 'received', path: '/user/sink', timestamp: 0, messageType: 'number', mailboxSize: 0 },
    ]);
  });

  it('reports timer messages as received too', async () => {
    const t = testSystem();
    const seen: string[] = [];
    t.system.inspect((e) => e.kind === 'received' && seen.push(e.messageType), { events: ['received'] });
    t.system.spawn(
      setup<Cmd>((ctx) => {
        ctx.timers.startSingleTimer('t', { type: 'work' }, 100);
        return worker;
      }),
    );
    await t.advance(100);
    expect(seen).toEqual(['work']);
  });

  it('delivers no received events with sample 0, and every one with sample 1', async () => {
    const t = testSystem();
    const none: InspectionEvent[] = [];
    const all: InspectionEvent[] = [];
    t.system.inspect((e) => none.push(e), { sample: 0 });
    t.system.inspect((e) => all.push(e), { sample: 1 });
    const ref = t.system.spawn(worker, 'w');
    for (let i = 0; i < 50; i++) ref.tell({ type: 'work' });
    await t.settle();

    expect(none.map((e) => e.kind)).toEqual(['spawned']);
    expect(all.filter((e) => e.kind === 'received')).toHaveLength(50);
  });

  it('samples the same messages for the same seed, and only some of them', async () => {
    const sampled = async (seed: number): Promise<string[]> => {
      const t = testSystem({ random: createSeededRandom(seed) });
      const kept: string[] = [];
      t.system.inspect((e) => e.kind === 'received' && kept.push(e.messageType), {
        sample: 0.5,
        events: ['received'],
      });
      const ref = t.system.spawn(receiveMessage<{ type: string }>(() => undefined));
      for (let i = 0; i < 200; i++) ref.tell({ type: `m${i}` });
      await t.settle();
      return kept;
    };
    const first = await sampled(7);
    expect(await sampled(7)).toEqual(first);
    expect(first.length).toBeGreaterThan(50);
    expect(first.length).toBeLessThan(150);
    expect(await sampled(8)).not.toEqual(first);
  });

  it('stops costing anything once unsubscribed: no more events, no more random draws, no hook left', async () => {
    const random = countingRandom(3);
    const t = testSystem({ random });
    const seen: InspectionEvent[] = [];
    const ref = t.system.spawn(worker, 'w');
    await t.settle();
    const off = t.system.inspect((e) => seen.push(e), { sample: 0.5 });
    for (let i = 0; i < 20; i++) ref.tell({ type: 'work' });
    await t.settle();
    expect(random.draws).toBe(20);
    expect((t.system as unknown as { inspector: unknown }).inspector).not.toBeNull();

    off();
    off(); // twice is harmless
    const before = seen.length;
    for (let i = 0; i < 20; i++) ref.tell({ type: 'work' });
    t.system.spawn(worker);
    await t.settle();
    expect(seen).toHaveLength(before);
    expect(random.draws).toBe(20);
    expect((t.system as unknown as { inspector: unknown }).inspector).toBeNull();
  });

  it('keeps other listeners when one of several unsubscribes', async () => {
    const t = testSystem();
    const a: InspectionEvent[] = [];
    const b: InspectionEvent[] = [];
    const offA = t.system.inspect((e) => a.push(e), { events: ['received'] });
    t.system.inspect((e) => b.push(e), { events: ['received'] });
    const ref = t.system.spawn(worker);
    ref.tell({ type: 'work' });
    await t.settle();
    offA();
    ref.tell({ type: 'work' });
    await t.settle();
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(2);
  });

  it('survives a listener that throws: the actor goes on and the error is logged', async () => {
    const t = testSystem();
    t.system.inspect(() => {
      throw new Error('bad listener');
    });
    let handled = 0;
    const ref = t.system.spawn(receiveMessage<number>(() => void handled++));
    ref.tell(1);
    ref.tell(2);
    await t.settle();
    expect(handled).toBe(2);
    expect(t.eventsOf('log').filter((e) => e.message === 'inspection listener threw').length).toBeGreaterThan(
      0,
    );
    expect(t.eventsOf('actor-failed')).toHaveLength(0);
  });

  it.each([[-0.1], [1.5], [Number.NaN], ['half']])(
    'refuses sample %p with InvalidArgumentError',
    (sample) => {
      const t = testSystem();
      expect(() => t.system.inspect(() => undefined, { sample: sample as number })).toThrow(
        InvalidArgumentError,
      );
      try {
        t.system.inspect(() => undefined, { sample: sample as number });
      } catch (e) {
        expect((e as InvalidArgumentError).code).toBe('ACTOR_ERR_INVALID_ARGUMENT');
      }
    },
  );

  it('refuses an unknown event kind and a missing listener', () => {
    const t = testSystem();
    expect(() => t.system.inspect(() => undefined, { events: ['exploded' as 'spawned'] })).toThrow(
      InvalidArgumentError,
    );
    expect(() => t.system.inspect(undefined as never)).toThrow(InvalidArgumentError);
  });
});

describe('system.actorTree', () => {
  it('shows every actor, nested, with its status and mailbox depth', async () => {
    const t = testSystem();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let blocked!: ActorRef<string>;
    t.system.spawn(
      setup<never>((ctx) => {
        // Holds its mailbox until released: what it is sent meanwhile waits.
        blocked = ctx.spawn(
          receiveMessage<string>(() => gate),
          'blocked',
        );
        ctx.spawn(worker, 'idle');
        return receive<never>(() => undefined);
      }),
      'parent',
    );
    await t.settle();
    for (const m of ['a', 'b', 'c', 'd']) blocked.tell(m);
    await t.settle();

    const tree = t.system.actorTree();
    expect(tree.path).toBe('/');
    expect(tree.name).toBe('test');
    expect(tree.children.map((c) => c.path)).toEqual(['/user', '/system']);
    expect(find(tree, '/user/parent')).toMatchObject({
      name: 'parent',
      status: 'alive',
      mailboxSize: 0,
    });
    expect(find(tree, '/user/parent')!.children.map((c) => c.name)).toEqual(['blocked', 'idle']);
    expect(find(tree, '/user/parent/blocked')).toEqual({
      path: '/user/parent/blocked',
      name: 'blocked',
      status: 'busy',
      mailboxSize: 3,
      children: [],
    });
    expect(find(tree, '/system/receptionist')).toBeDefined();

    release();
    await t.settle();
    expect(find(t.system.actorTree(), '/user/parent/blocked')).toMatchObject({
      status: 'alive',
      mailboxSize: 0,
    });
  });

  it('shows a failed actor waiting out its restart backoff as suspended', async () => {
    const t = testSystem();
    const strategy = SupervisorStrategy.oneForOne().withBackoff({
      minMs: 1000,
      maxMs: 1000,
      randomFactor: 0,
    });
    t.system.spawn(
      setup<never>((ctx) => {
        ctx.spawn(worker, 'w').tell({ type: 'fail' });
        return receive<never>(() => undefined);
      }),
      { name: 'sup', supervisorStrategy: strategy },
    );
    await t.settle();
    expect(find(t.system.actorTree(), '/user/sup/w')?.status).toBe('suspended');
    await t.advance(1000);
    expect(find(t.system.actorTree(), '/user/sup/w')?.status).toBe('alive');
  });

  it('marks the root terminated once the system has terminated', async () => {
    const t = testSystem();
    t.system.spawn(worker, 'w');
    await t.settle();
    const done = t.system.terminate();
    await t.settle();
    await done;
    const tree = t.system.actorTree();
    expect(tree.status).toBe('terminated');
    expect(tree.children.every((c) => c.status === 'terminated')).toBe(true);
  });
});
