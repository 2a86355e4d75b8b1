import {
  type ActorRef,
  ask,
  type Listing,
  Receptionist,
  receive,
  receiveMessage,
  ServiceKey,
  stopped,
} from '@troupe/core';
import { isActorRef, messageType } from '@troupe/remote';
import { addressOf, allUp, eventually, MemoryCluster, type TestMember } from './memoryCluster';

jest.setTimeout(30_000);

type Ping = { type: 'test/ping'; replyTo: ActorRef<Pong> };
type Pong = { type: 'test/pong'; from: string };
type Stop = { type: 'test/stop' };
const PingService = new ServiceKey<Ping | Stop>('ping');

const pinger = (name: string) =>
  receive<Ping | Stop>((_ctx, m) => {
    if (m.type === 'test/stop') return stopped();
    m.replyTo.tell({ type: 'test/pong', from: name });
  });

describe('the cluster receptionist', () => {
  let c: MemoryCluster;
  let nodes: TestMember[];

  beforeEach(async () => {
    c = new MemoryCluster();
    nodes = await Promise.all(['n1', 'n2', 'n3'].map((n) => c.start(n, [addressOf('n1')])));
    for (const n of nodes)
      n.node.serialization
        .register(messageType<Ping>('test/ping', (m) => isActorRef(m.replyTo)))
        .register(messageType<Pong>('test/pong', (m) => typeof m.from === 'string'))
        .register(messageType<Stop>('test/stop'));
    await eventually(
      () =>
        allUp(
          nodes,
          nodes.map((n) => n.address),
        ),
      10_000,
      'three up',
    );
  });
  afterEach(async () => {
    await c.shutdown();
  });

  /** A subscriber on `n` that records the size of every listing it gets. */
  function subscribe(n: TestMember): number[][] {
    const seen: number[][] = [];
    const sub = n.node.system.spawn(
      receiveMessage<Listing<Ping | Stop>>((l) => void seen.push(l.services.map(() => 1))),
      'subscriber',
    );
    n.cluster.receptionist.tell(Receptionist.subscribe(PingService, sub));
    return seen;
  }

  const find = (n: TestMember) =>
    ask(n.cluster.receptionist, Receptionist.find(PingService), { timeoutMs: 2000 });

  /** Asks `n` until its listing has `count` services; their addresses. */
  async function findUntil(n: TestMember, count: number): Promise<string[]> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const listing = (await find(n)).services.map(String);
      if (listing.length === count || Date.now() > deadline) return listing;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('finds a service registered on one node from another, and forgets it when that node is removed', async () => {
    const [, a, cNode] = nodes; // a = n2, not the leader
    const seen = subscribe(cNode);
    await eventually(() => seen.length === 1, 2000, 'initial listing');
    expect(seen[0]).toEqual([]);

    const service = a.node.system.spawn(pinger('n2'), 'pinger');
    a.cluster.receptionist.tell(Receptionist.register(PingService, service));
    await eventually(() => seen.length === 2, 5000, 'listing with the service');
    expect(seen[1]).toEqual([1]);

    // The ref in the listing works across nodes.
    const { services } = await find(cNode);
    expect(services.map(String)).toEqual([`${a.address}/user/pinger`]);
    const pong = await ask(
      services[0] as ActorRef<Ping>,
      (replyTo: ActorRef<Pong>): Ping => ({ type: 'test/ping', replyTo }),
      {
        timeoutMs: 2000,
      },
    );
    expect(pong).toEqual({ type: 'test/pong', from: 'n2' });

    await a.cluster.leave();
    await eventually(() => seen.length === 3, 5000, 'listing without the service');
    expect(seen[2]).toEqual([]);
    expect((await find(cNode)).services).toEqual([]);
  });

  it('lists services of several nodes together, and drops one whose actor stops or is deregistered', async () => {
    const [x, y, z] = nodes;
    const sx = x.node.system.spawn(pinger('n1'), 'pinger');
    const sy = y.node.system.spawn(pinger('n2'), 'pinger');
    x.cluster.receptionist.tell(Receptionist.register(PingService, sx));
    y.cluster.receptionist.tell(Receptionist.register(PingService, sy));
    const listing = await findUntil(z, 2);
    expect(listing).toEqual([`${x.address}/user/pinger`, `${y.address}/user/pinger`]);

    const seen = subscribe(z);
    sx.tell({ type: 'test/stop' });
    await eventually(() => seen.at(-1)?.length === 1, 5000, 'the stopped one gone');
    expect((await find(z)).services.map(String)).toEqual([`${y.address}/user/pinger`]);

    y.cluster.receptionist.tell(Receptionist.deregister(PingService, sy));
    await eventually(() => seen.at(-1)?.length === 0, 5000, 'the deregistered one gone');
  });
});
