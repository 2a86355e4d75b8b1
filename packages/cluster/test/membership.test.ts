import { type ActorRef, receive, setup } from '@troupe/core';
import type { Runtime } from '../src/internal/Runtime';
import {
  addressOf,
  allUp,
  eventsAbout,
  eventually,
  MemoryCluster,
  statuses,
  type TestMember,
} from './memoryCluster';

/** Whether `sequence` occurs in `events` in this order (other events may come in between). */
function inOrder(events: readonly string[], sequence: readonly string[]): boolean {
  let i = 0;
  for (const e of events) if (e === sequence[i]) i++;
  return i === sequence.length;
}

const NAMES = ['n1', 'n2', 'n3', 'n4', 'n5'];

jest.setTimeout(30_000);

describe('cluster membership over the in-memory transport', () => {
  let c: MemoryCluster;
  beforeEach(() => {
    c = new MemoryCluster();
  });
  afterEach(async () => {
    await c.shutdown();
  });

  async function upCluster(
    names: readonly string[],
    seeds = [addressOf('n1'), addressOf('n2')],
  ): Promise<TestMember[]> {
    const nodes = await Promise.all(names.map((n) => c.start(n, seeds)));
    await eventually(
      () =>
        allUp(
          nodes,
          nodes.map((n) => n.address),
        ),
      10_000,
      `${names.length} up members`,
    );
    return nodes;
  }

  it('lets five nodes join through seeds of which one is down, and converges on five up members and one leader', async () => {
    // n9 never starts: a seed that is down.
    const seeds = [addressOf('n1'), addressOf('n9'), addressOf('n2')];
    const nodes = await Promise.all(NAMES.map((n) => c.start(n, seeds)));
    const addresses = nodes.map((n) => n.address);
    await eventually(() => allUp(nodes, addresses), 10_000, 'five up members');
    for (const n of nodes) {
      expect(n.cluster.state().leader).toBe(addressOf('n1'));
      expect(n.events[0].type).toBe('current-state');
      expect(eventsAbout(n, n.address)).toContain('member-up');
    }
    // upNumbers are unique, and n1, which formed the cluster, is the oldest.
    const ups = nodes[2].cluster.state().members.map((m) => [m.address, m.upNumber] as const);
    expect(new Set(ups.map(([, u]) => u)).size).toBe(5);
    expect(Math.min(...ups.map(([, u]) => u))).toBe(ups.find(([a]) => a === addressOf('n1'))![1]);
  });

  it('resolves a 3 | 2 partition: the two down themselves and shut down, the three remove them, and the two rejoin as new incarnations after the heal', async () => {
    const nodes = await upCluster(NAMES);
    const majority = nodes.slice(0, 3);
    const [d, e] = nodes.slice(3);
    c.net.partition(['n1', 'n2', 'n3'], ['n4', 'n5']);

    // The minority: each marks itself down, says so, and shuts its node down.
    await eventually(
      () => d.node.system.isTerminated && e.node.system.isTerminated,
      10_000,
      'minority shut down',
    );
    for (const m of [d, e]) {
      expect(inOrder(eventsAbout(m, m.address), ['member-downed', 'member-removed'])).toBe(true);
      expect(m.cluster.state().selfMember).toBeUndefined();
    }
    // The majority: the two become unreachable, are downed, then removed.
    await eventually(
      () =>
        majority.every(
          (m) =>
            m.cluster.state().members.length === 3 &&
            allUp(
              majority,
              majority.map((x) => x.address),
            ),
        ),
      10_000,
      'majority without the minority',
    );
    for (const m of majority)
      for (const gone of [d, e])
        expect(
          inOrder(eventsAbout(m, gone.address), ['unreachable', 'member-downed', 'member-removed']),
        ).toBe(true);

    c.net.heal();
    const d2 = await c.start('n4', [addressOf('n1'), addressOf('n2')]);
    const e2 = await c.start('n5', [addressOf('n1'), addressOf('n2')]);
    expect(d2.cluster.incarnation).not.toBe(d.cluster.incarnation);
    const all = [...majority, d2, e2];
    await eventually(
      () =>
        allUp(
          all,
          all.map((m) => m.address),
        ),
      10_000,
      'five up again',
    );
    for (const m of all) {
      const incarnations = m.cluster.state().members.map((x) => x.incarnation);
      expect(incarnations).toContain(d2.cluster.incarnation);
      expect(incarnations).not.toContain(d.cluster.incarnation);
    }
  });

  it('splits a 2 | 2 partition in favour of the half holding the lowest address', async () => {
    const nodes = await upCluster(['n1', 'n2', 'n3', 'n4']);
    const [n1, n2, n3, n4] = nodes;
    c.net.partition(['n1', 'n3'], ['n2', 'n4']);
    await eventually(
      () => n2.node.system.isTerminated && n4.node.system.isTerminated,
      10_000,
      'n2 and n4 down',
    );
    await eventually(() => allUp([n1, n3], [n1.address, n3.address]), 10_000, 'n1 and n3 alone');
    expect(n1.node.system.isTerminated || n3.node.system.isTerminated).toBe(false);
  });

  it('finds a crashed node unreachable, downs and removes it, and tells watchers of its actors that they terminated', async () => {
    const nodes = await upCluster(NAMES);
    const crashed = nodes[4];
    const survivors = nodes.slice(0, 4);
    crashed.node.system.spawn(
      receive<string>(() => undefined),
      'worker',
    );
    const terminated: string[] = [];
    for (const s of survivors) {
      const worker = s.node.refFor<string>(`${crashed.address}/user/worker`);
      s.node.system.spawn(
        setup<never>((ctx) => {
          ctx.watch(worker);
          return receive<never>(
            () => undefined,
            (_ctx, signal) => {
              if (signal.type === 'Terminated') terminated.push(s.name);
            },
          );
        }),
        'watcher',
      );
    }
    // Let the watches reach n5 before it dies.
    await new Promise((r) => setTimeout(r, 200));
    expect(terminated).toEqual([]);

    c.net.crash('n5');
    await eventually(
      () => survivors.every((s) => !(crashed.address in statuses(s))) && terminated.length === 4,
      10_000,
      'n5 removed everywhere and every watcher told',
    );
    for (const s of survivors)
      expect(
        inOrder(eventsAbout(s, crashed.address), ['unreachable', 'member-downed', 'member-removed']),
      ).toBe(true);
    expect(terminated.sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
    await eventually(
      () =>
        allUp(
          survivors,
          survivors.map((s) => s.address),
        ),
      5000,
      'four up',
    );
  });

  it('replaces a node restarted at the same address before anyone found it dead: the old incarnation is downed and removed, the new one comes up, and no node lists both', async () => {
    const nodes = await upCluster(NAMES);
    const old = nodes[4];
    const survivors = nodes.slice(0, 4);
    const both: string[] = [];
    for (const s of survivors)
      s.cluster.subscribe(() => {
        if (s.cluster.state().members.filter((m) => m.address === old.address).length > 1) both.push(s.name);
      });
    c.net.crash('n5');
    // At once, well within the failure detectors' acceptable pause.
    const renewed = await c.start('n5', [addressOf('n1'), addressOf('n2')]);
    const all = [...survivors, renewed];
    await eventually(
      () =>
        allUp(
          all,
          all.map((m) => m.address),
        ),
      10_000,
      'five up with the new incarnation',
    );
    for (const m of all)
      expect(m.cluster.state().members.find((x) => x.address === old.address)?.incarnation).toBe(
        renewed.cluster.incarnation,
      );
    for (const s of survivors) {
      const aboutOld = s.events
        .filter((e) => 'member' in e && e.member.incarnation === old.cluster.incarnation)
        .map((e) => e.type);
      expect(inOrder(aboutOld, ['member-downed', 'member-removed'])).toBe(true);
    }
    expect(both).toEqual([]);
  });

  it('forgets a removed node entirely: no ref to its actors and no last-heard time stay behind on any member', async () => {
    const nodes = await upCluster(NAMES);
    const [gone, ...stay] = [nodes[4], ...nodes.slice(0, 4)];
    await gone.cluster.leave();
    await eventually(
      () =>
        allUp(
          stay,
          stay.map((s) => s.address),
        ),
      10_000,
      'four up',
    );
    // A few gossip intervals, for anything still on its way from or to the removed node.
    await new Promise((r) => setTimeout(r, 500));
    const runtime = (m: TestMember) => (m.cluster as unknown as { rt: Runtime }).rt;
    for (const s of stay) expect(runtime(s).remembers(gone.address)).toBe(false);
    expect(runtime(stay[0]).remembers(stay[1].address)).toBe(true);
  });

  it('keeps a restarted first seed trying to join while a seed acknowledges it, rather than forming a second cluster when the seed timeout passes', async () => {
    // No automatic downing: the crashed n3 stays unreachable, so the leader cannot converge to remove n1's old
    // incarnation, and the new n1 cannot get in, for longer than its seed timeout.
    const none = { downing: { strategy: 'none' as const } };
    const seeds = [addressOf('n1'), addressOf('n2')];
    const nodes = await Promise.all(['n1', 'n2', 'n3'].map((n) => c.start(n, seeds, none)));
    await eventually(
      () =>
        allUp(
          nodes,
          nodes.map((n) => n.address),
        ),
      10_000,
      'three up',
    );
    const n2 = nodes[1];
    c.net.crash('n3');
    await eventually(() => n2.cluster.state().unreachable.includes(addressOf('n3')), 5000, 'n3 unreachable');
    c.net.crash('n1');
    const n1 = await c.start('n1', seeds, none);
    await new Promise((r) => setTimeout(r, 4 * n1.cluster.settings.seedTimeoutMs));
    expect(n1.cluster.state().selfMember).toBeUndefined();
    expect(n1.events.some((e) => e.type === 'member-up')).toBe(false);

    n2.cluster.down(addressOf('n3'));
    await eventually(() => allUp([n1, n2], [n1.address, n2.address]), 10_000, 'n1 and n2 up together');
  });

  it('does not down a member it still hears from directly when another node wrongly suspects it', async () => {
    const nodes = await upCluster(['n1', 'n2', 'n3']);
    const [n1, n2, n3] = nodes;
    // n2 "finds" n3 unreachable although n3 is fine (as an overloaded observer might); n2's own detector never
    // said so, so nothing will take it back.
    const core = n2.node.system.lookup('/system/cluster/core') as ActorRef<unknown>;
    const n3key = `${n3.address} ${n3.cluster.incarnation}`;
    core.tell({ type: '$observed', subject: n3key, reachable: false });
    await eventually(() => n1.cluster.state().unreachable.includes(n3.address), 2000, 'n3 suspected');
    // Well past stable-after: the leader hears n3's heartbeats itself, so it does not down it.
    await new Promise((r) => setTimeout(r, n1.cluster.settings.stableAfterMs + 1000));
    expect(n3.node.system.isTerminated).toBe(false);
    expect(statuses(n1)[n3.address]).toBe('up');
    core.tell({ type: '$observed', subject: n3key, reachable: true });
    await eventually(
      () =>
        allUp(
          nodes,
          nodes.map((n) => n.address),
        ),
      5000,
      'all reachable again',
    );
  });

  it('leaves gracefully: leaving, exiting, removed, in that order everywhere, and then the node shuts down', async () => {
    const nodes = await upCluster(['n1', 'n2', 'n3']);
    const leaver = nodes[2];
    await leaver.cluster.leave();
    expect(eventsAbout(leaver, leaver.address).slice(-3)).toEqual([
      'member-left',
      'member-exited',
      'member-removed',
    ]);
    await leaver.cluster.whenStopped;
    expect(leaver.node.system.isTerminated).toBe(true);
    const rest = nodes.slice(0, 2);
    await eventually(
      () =>
        allUp(
          rest,
          rest.map((r) => r.address),
        ),
      5000,
      'two up',
    );
    for (const r of rest)
      expect(
        inOrder(eventsAbout(r, leaver.address), ['member-left', 'member-exited', 'member-removed']),
      ).toBe(true);
    // A leave after the fact resolves at once.
    await expect(leaver.cluster.leave()).resolves.toBeUndefined();
  });

  it('hands leadership on when the leader leaves', async () => {
    const nodes = await upCluster(['n1', 'n2', 'n3']);
    expect(nodes[1].cluster.state().leader).toBe(addressOf('n1'));
    await nodes[0].cluster.leave();
    const rest = nodes.slice(1);
    await eventually(
      () =>
        allUp(
          rest,
          rest.map((r) => r.address),
        ),
      5000,
      'two up',
    );
    expect(rest[0].cluster.state().leader).toBe(addressOf('n2'));
    expect(rest[1].events.some((e) => e.type === 'leader-changed' && e.leader === addressOf('n2'))).toBe(
      true,
    );
  });

  it('removes a member downed by hand, which learns it and shuts itself down', async () => {
    const nodes = await upCluster(['n1', 'n2', 'n3']);
    const victim = nodes[1];
    nodes[2].cluster.down(victim.address);
    await eventually(() => victim.node.system.isTerminated, 5000, 'downed node shut down');
    const rest = [nodes[0], nodes[2]];
    await eventually(
      () =>
        allUp(
          rest,
          rest.map((r) => r.address),
        ),
      5000,
      'two up',
    );
    expect(inOrder(eventsAbout(nodes[0], victim.address), ['member-downed', 'member-removed'])).toBe(true);
    expect(() => nodes[0].cluster.down('not an address')).toThrow(
      expect.objectContaining({ code: 'CLUSTER_ERR_INVALID_ADDRESS' }),
    );
  });
});
