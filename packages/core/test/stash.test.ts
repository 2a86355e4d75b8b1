import { type Behavior, receive, setup, StashOverflowError, stopped, SupervisorStrategy } from '../src';
import { testSystem } from './testSystem';

/**
 * A gate: while closed it stashes every message except 'open', 'boom' and 'stop'; 'open' unstashes all and
 * switches to handling messages (recording them).
 */
function gate(handled: string[], onOpen?: () => void): Behavior<string> {
  const open: Behavior<string> = receive((_ctx, m) => {
    if (m === 'stop') return stopped();
    handled.push(m);
  });
  return receive<string>((ctx, m) => {
    if (m === 'boom') throw new Error('boom');
    if (m === 'stop') return stopped();
    if (m === 'open') {
      onOpen?.();
      ctx.stash.unstashAll();
      return open;
    }
    ctx.stash.stash(m);
  });
}

describe('stash', () => {
  it('replays stashed messages in their original order, before messages that arrived after them', async () => {
    const { system, settle } = testSystem();
    const handled: string[] = [];
    const ref = system.spawn(gate(handled));
    ref.tell('1');
    ref.tell('2');
    ref.tell('3');
    await settle();
    expect(handled).toEqual([]);
    // 'open' and the later messages are all queued before the actor runs: the stash goes before '4' and '5'.
    ref.tell('open');
    ref.tell('4');
    ref.tell('5');
    await settle();
    expect(handled).toEqual(['1', '2', '3', '4', '5']);
  });

  it('replays the stash before messages already queued when unstashAll is called', async () => {
    const { system, settle } = testSystem();
    const handled: string[] = [];
    const ref = system.spawn(gate(handled));
    for (const m of ['a', 'b', 'open', 'c', 'd']) ref.tell(m);
    await settle();
    expect(handled).toEqual(['a', 'b', 'c', 'd']);
  });

  it('reports its size, capacity and fullness', async () => {
    const { system, settle } = testSystem();
    const seen: [number, number, boolean, boolean][] = [];
    const ref = system.spawn(
      receive<string>((ctx) => {
        ctx.stash.stash('x');
        const s = ctx.stash;
        seen.push([s.size, s.capacity, s.isEmpty, s.isFull]);
      }),
      { stashCapacity: 2 },
    );
    ref.tell('1');
    ref.tell('2');
    await settle();
    expect(seen).toEqual([
      [1, 2, false, false],
      [2, 2, false, true],
    ]);
  });

  it('defaults to a capacity of 1000', async () => {
    const { system, settle } = testSystem();
    let capacity: number | undefined;
    const ref = system.spawn(receive<string>((ctx) => void (capacity = ctx.stash.capacity)));
    ref.tell('x');
    await settle();
    expect(capacity).toBe(1000);
  });

  it('can be used again after unstashAll, keeping the order in every round', async () => {
    const { system, settle } = testSystem();
    const handled: string[] = [];
    const closed = (): Behavior<string> =>
      receive<string>((ctx, m) => {
        if (m !== 'open') {
          ctx.stash.stash(m);
          return;
        }
        ctx.stash.unstashAll();
        return opened();
      });
    const opened = (): Behavior<string> =>
      receive<string>((_ctx, m) => {
        if (m === 'close') return closed();
        handled.push(m);
      });
    const ref = system.spawn(closed());
    for (const m of ['a', 'b', 'open', 'c', 'close', 'd', 'e', 'open', 'f']) ref.tell(m);
    await settle();
    expect(handled).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });
});

describe('stash overflow', () => {
  it('fails the actor with StashOverflowError, which its supervisor sees', async () => {
    const { system, settle, eventsOf } = testSystem({
      supervisorStrategy: SupervisorStrategy.oneForOne(() => 'stop'),
    });
    const handled: string[] = [];
    const ref = system.spawn(gate(handled), { name: 'small', stashCapacity: 2 });
    ref.tell('1');
    ref.tell('2');
    ref.tell('3');
    await settle();
    const failed = eventsOf('actor-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].ref).toBe(ref);
    expect(failed[0].error).toBeInstanceOf(StashOverflowError);
    const decisions = eventsOf('supervision');
    expect(decisions).toHaveLength(1);
    expect(decisions[0].child).toBe(ref);
    expect(decisions[0].directive).toBe('stop');
    expect(decisions[0].error).toBeInstanceOf(StashOverflowError);
    expect(decisions[0].error).toMatchObject({
      code: 'ACTOR_ERR_STASH_OVERFLOW',
      capacity: 2,
      path: '/user/small',
    });
  });

  it('restarts the actor under the default strategy, and the stash is replayed into the new incarnation', async () => {
    const { system, settle, eventsOf } = testSystem();
    const handled: string[] = [];
    let starts = 0;
    const ref = system.spawn(
      setup<string>(() => {
        starts++;
        return starts === 1 ? gate([]) : receive<string>((_ctx, m) => void handled.push(m));
      }),
      { stashCapacity: 2 },
    );
    for (const m of ['1', '2', '3', '4']) ref.tell(m);
    await settle();
    expect(eventsOf('supervision').map((d) => [d.directive, (d.error as StashOverflowError).code])).toEqual([
      ['restart', 'ACTOR_ERR_STASH_OVERFLOW'],
    ]);
    // '3' overflowed (it was the message being handled when the actor failed); the stash goes back first.
    expect(handled).toEqual(['1', '2', '4']);
  });

  it('allows a capacity of zero, where any stash overflows', async () => {
    const { system, settle, eventsOf } = testSystem({
      supervisorStrategy: SupervisorStrategy.oneForOne(() => 'stop'),
    });
    const ref = system.spawn(gate([]), { stashCapacity: 0 });
    ref.tell('x');
    await settle();
    expect(eventsOf('actor-failed').map((e) => (e.error as StashOverflowError).code)).toEqual([
      'ACTOR_ERR_STASH_OVERFLOW',
    ]);
  });
});

describe('stash and the lifecycle', () => {
  it('puts stashed messages back at the front of the mailbox on restart, in order', async () => {
    const { system, settle, eventsOf } = testSystem();
    const handled: string[] = [];
    let starts = 0;
    const ref = system.spawn(
      setup<string>(() => {
        starts++;
        if (starts === 1) return gate([]);
        return receive<string>((_ctx, m) => void handled.push(m));
      }),
    );
    ref.tell('a');
    ref.tell('b');
    await settle();
    ref.tell('boom');
    ref.tell('c');
    await settle();
    expect(eventsOf('actor-restarted').map((e) => e.ref)).toEqual([ref]);
    expect(handled).toEqual(['a', 'b', 'c']);
    expect(eventsOf('dead-letter')).toEqual([]);
  });

  it('starts the new incarnation with an empty stash after a restart', async () => {
    const { system, settle } = testSystem();
    const sizes: number[] = [];
    let starts = 0;
    const ref = system.spawn(
      setup<string>((ctx) => {
        starts++;
        sizes.push(ctx.stash.size);
        return starts === 1 ? gate([]) : receive<string>(() => undefined);
      }),
    );
    ref.tell('a');
    ref.tell('boom');
    await settle();
    expect(sizes).toEqual([0, 0]);
  });

  it('turns stashed messages into dead letters with reason stash-discarded when the actor stops', async () => {
    const { system, settle, eventsOf } = testSystem();
    const handled: string[] = [];
    const ref = system.spawn(gate(handled), 'stasher');
    ref.tell('x');
    ref.tell('y');
    await settle();
    ref.tell('stop');
    await settle();
    expect(handled).toEqual([]);
    expect(eventsOf('dead-letter').map((d) => [d.recipient, d.message, d.reason])).toEqual([
      ['/user/stasher', 'x', 'stash-discarded'],
      ['/user/stasher', 'y', 'stash-discarded'],
    ]);
  });

  it('discards the stash the same way when the actor is stopped from outside', async () => {
    const { system, settle, eventsOf } = testSystem();
    const ref = system.spawn(gate([]), 'stasher');
    ref.tell('x');
    await settle();
    ref.tell('queued');
    system.stop(ref);
    await settle();
    expect(
      eventsOf('dead-letter')
        .map((d) => [d.message, d.reason])
        .sort(),
    ).toEqual([
      ['queued', 'recipient-terminated'],
      ['x', 'stash-discarded'],
    ]);
  });
});
