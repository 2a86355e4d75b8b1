/**
 * The actor-level conformance suite: tell, ask, watch, refs in messages, ordering, restarts with a new
 * incarnation, connection loss and reconnect, refused messages. Every transport runs it through remoting.
 */
import {
  type ActorRef,
  type ActorSystem,
  ask,
  createActorSystem,
  type DeadLetterEvent,
  receive,
  receiveMessage,
  setup,
  stopped,
} from '@troupe/core';
import type { Connection, Transport, TransportHandler } from '@troupe/transport';
import {
  isActorRef,
  messageType,
  type RemoteEvent,
  type RemoteNode,
  Serialization,
  startRemoting,
  UnknownManifestError,
  UnregisteredMessageError,
} from '../src';

export interface RemoteConformanceFactory {
  /** A transport for a new node; with `address`, one that listens at that address again (a restarted node). */
  transport(address?: string): Transport;
  cleanup?(): Promise<void>;
}

type Echo = { type: 'test/echo'; text: string; replyTo: ActorRef<Echoed> };
type Echoed = { type: 'test/echoed'; text: string; from: string };
type Seq = { type: 'test/seq'; n: number };
type Carry = { type: 'test/carry'; ref: ActorRef<Seq> };
type Stop = { type: 'test/stop' };
type Unknown = { type: 'test/only-here' };

export function testSerialization(extra: (s: Serialization) => void = () => undefined): Serialization {
  const s = new Serialization()
    .register(messageType<Echo>('test/echo', (m) => typeof m.text === 'string' && isActorRef(m.replyTo)))
    .register(messageType<Echoed>('test/echoed', (m) => typeof m.text === 'string'))
    .register(messageType<Seq>('test/seq', (m) => Number.isInteger(m.n)))
    .register(messageType<Carry>('test/carry', (m) => isActorRef(m.ref)))
    .register(messageType<Stop>('test/stop'));
  extra(s);
  return s;
}

/** Spawns an actor on `system` that watches `target` and reports every `Terminated` it gets. */
export function watchFrom(
  system: ActorSystem,
  target: ActorRef<never>,
  onTerminated: (ref: ActorRef<never>) => void,
): void {
  system.spawn(
    setup<never>((ctx) => {
      ctx.watch(target);
      return receive<never>(
        () => undefined,
        (_c, s) => {
          if (s.type === 'Terminated') onTerminated(s.ref);
        },
      );
    }),
  );
}

export async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Wraps a transport to hand the test every connection it makes, so a test can cut one. */
function capturing(inner: Transport, into: Connection[]): Transport {
  return {
    listen: (local, handler: TransportHandler) =>
      inner.listen(local, {
        onConnection: (c) => {
          into.push(c);
          handler.onConnection(c);
        },
        onEvent: handler.onEvent,
      }),
    connect: (address) => inner.connect(address),
    close: () => inner.close(),
  };
}

const echo = receive<Echo | Stop>((ctx, m) => {
  if (m.type === 'test/stop') return stopped();
  m.replyTo.tell({ type: 'test/echoed', text: m.text, from: ctx.self.path });
});

export function describeRemoteConformance(name: string, factory: RemoteConformanceFactory): void {
  describe(`remoting over ${name} (conformance)`, () => {
    const nodes: RemoteNode[] = [];
    const opts = { heartbeatIntervalMs: 50, unreachableAfterMs: 600, reconnect: { minMs: 10, maxMs: 100 } };

    async function node(
      options: { address?: string; serialization?: Serialization; connections?: Connection[] } = {},
    ): Promise<{ node: RemoteNode; system: ActorSystem; dead: DeadLetterEvent[]; events: RemoteEvent[] }> {
      const system = createActorSystem({ name: 'conf', logLevel: 'off' });
      let transport = factory.transport(options.address);
      if (options.connections) transport = capturing(transport, options.connections);
      const n = await startRemoting({
        system,
        transport,
        serialization: options.serialization ?? testSerialization(),
        ...opts,
      });
      nodes.push(n);
      const dead: DeadLetterEvent[] = [];
      system.events.subscribe('dead-letter', (e) => dead.push(e));
      const events: RemoteEvent[] = [];
      n.onEvent((e) => events.push(e));
      return { node: n, system, dead, events };
    }

    afterEach(async () => {
      await Promise.all(nodes.splice(0).map((n) => n.shutdown()));
      await factory.cleanup?.();
    });

    it('delivers a tell to an actor on another node, addressed by string', async () => {
      const a = await node();
      const b = await node();
      const got: Seq[] = [];
      a.system.spawn(
        receiveMessage<Seq>((m) => void got.push(m)),
        'sink',
      );
      const sink = b.node.refFor<Seq>(`${a.node.address}/user/sink`);
      sink.tell({ type: 'test/seq', n: 1 });
      await eventually(() => got.length === 1);
      expect(got).toEqual([{ type: 'test/seq', n: 1 }]);
    });

    it('answers an ask across nodes: the temporary reply ref travels and works', async () => {
      const a = await node();
      const b = await node();
      a.system.spawn(echo, 'echo');
      const ref = b.node.refFor<Echo>(`${a.node.address}/user/echo`);
      const reply = await ask(
        ref,
        (replyTo: ActorRef<Echoed>): Echo => ({ type: 'test/echo', text: 'hi', replyTo }),
        {
          timeoutMs: 3000,
        },
      );
      expect(reply).toEqual({ type: 'test/echoed', text: 'hi', from: '/user/echo' });
    });

    it('keeps refs working inside messages, also refs to a third node', async () => {
      const a = await node();
      const b = await node();
      const c = await node();
      const atC: Seq[] = [];
      const sinkAtC = c.system.spawn(
        receiveMessage<Seq>((m) => void atC.push(m)),
        'sink',
      );
      // a's forwarder tells whatever ref it is handed.
      a.system.spawn(
        receiveMessage<Carry>((m) => m.ref.tell({ type: 'test/seq', n: 7 })),
        'fwd',
      );
      // c hands a a ref to its own sink.
      const fwdFromC = c.node.refFor<Carry>(`${a.node.address}/user/fwd`);
      fwdFromC.tell({ type: 'test/carry', ref: sinkAtC });
      await eventually(() => atC.length === 1);
      // And a ref to c's actor handed from b to a: b never talked to c directly before.
      const sinkFromB = b.node.refFor<Seq>(`${c.node.address}/user/sink`);
      b.node.refFor<Carry>(`${a.node.address}/user/fwd`).tell({ type: 'test/carry', ref: sinkFromB });
      await eventually(() => atC.length === 2);
      expect(atC.map((m) => m.n)).toEqual([7, 7]);
    });

    it('keeps the order of messages between one pair of actors', async () => {
      const a = await node();
      const b = await node();
      const got: number[] = [];
      a.system.spawn(
        receiveMessage<Seq>((m) => void got.push(m.n)),
        'sink',
      );
      const sink = b.node.refFor<Seq>(`${a.node.address}/user/sink`);
      b.system.spawn(
        setup<never>(() => {
          for (let n = 0; n < 2000; n++) sink.tell({ type: 'test/seq', n });
          return receive<never>(() => undefined);
        }),
      );
      await eventually(() => got.length === 2000);
      expect(got).toEqual([...Array(2000).keys()]);
    });

    it('delivers Terminated exactly once when a watched remote actor stops', async () => {
      const a = await node();
      const b = await node();
      a.system.spawn(echo, 'echo');
      const remote = b.node.refFor<Echo | Stop>(`${a.node.address}/user/echo`);
      const seen: string[] = [];
      b.system.spawn(
        setup<never>((ctx) => {
          ctx.watch(remote);
          ctx.watch(remote);
          return receive<never>(
            () => undefined,
            (_c, s) => {
              if (s.type === 'Terminated') seen.push(s.ref.toString());
            },
          );
        }),
      );
      await new Promise((r) => setTimeout(r, 50)); // let the watch arrive
      remote.tell({ type: 'test/stop' });
      await eventually(() => seen.length === 1);
      await new Promise((r) => setTimeout(r, 100));
      expect(seen).toEqual([`${a.node.address}/user/echo`]);
    });

    it('delivers Terminated at once for a remote actor that does not exist', async () => {
      const a = await node();
      const b = await node();
      const seen: string[] = [];
      const ghost = b.node.refFor<Seq>(`${a.node.address}/user/nobody`);
      watchFrom(b.system, ghost, (ref) => seen.push(ref.path));
      await eventually(() => seen.length === 1);
      expect(seen).toEqual(['/user/nobody']);
    });

    it('tells remote watchers when the watched node restarts, and reaches the new incarnation by address', async () => {
      const a = await node();
      const b = await node();
      a.system.spawn(echo, 'echo');
      const byAddress = b.node.refFor<Echo>(`${a.node.address}/user/echo`);
      // Learn a ref that carries a's incarnation, and watch it.
      const first = await ask(byAddress, (replyTo: ActorRef<Echoed>): Echo => ({
        type: 'test/echo',
        text: '1',
        replyTo,
      }));
      expect(first.text).toBe('1');
      const seen: string[] = [];
      watchFrom(b.system, byAddress, (ref) => seen.push(ref.path));
      await new Promise((r) => setTimeout(r, 50));
      const oldIncarnation = a.node.incarnation;
      const address = a.node.identity.address;
      await a.node.shutdown();
      nodes.splice(nodes.indexOf(a.node), 1);
      await eventually(() => seen.length === 1);
      const a2 = await node({ address });
      expect(a2.node.incarnation).not.toBe(oldIncarnation);
      expect(a2.node.address).toBe(a.node.address);
      a2.system.spawn(echo, 'echo');
      const second = await ask(
        byAddress,
        (replyTo: ActorRef<Echoed>): Echo => ({ type: 'test/echo', text: '2', replyTo }),
        {
          timeoutMs: 3000,
        },
      );
      expect(second.text).toBe('2');
    });

    it('tells remote watchers when the watched node crashes and a new incarnation takes its address', async () => {
      const a = await node();
      const b = await node();
      a.system.spawn(echo, 'echo');
      const remote = b.node.refFor<Echo>(`${a.node.address}/user/echo`);
      await ask(remote, (replyTo: ActorRef<Echoed>): Echo => ({ type: 'test/echo', text: 'x', replyTo }));
      const seen: string[] = [];
      watchFrom(b.system, remote, (ref) => seen.push(ref.path));
      await new Promise((r) => setTimeout(r, 50));
      // A crash: the transport goes away, the actors never say goodbye; a new node comes up at once.
      const address = a.node.identity.address;
      await (a.node as unknown as { transport: Transport }).transport.close();
      const a2 = await node({ address });
      a2.system.spawn(echo, 'echo');
      await eventually(() => seen.length === 1);
      expect(b.events.some((e) => e.type === 'peer-restarted' && e.incarnation === a2.node.incarnation)).toBe(
        true,
      );
      expect(b.events.some((e) => e.type === 'peer-unreachable')).toBe(false);
      void a.system.terminate();
    });

    it('dead-letters a message meant for an earlier incarnation of a restarted node', async () => {
      const a = await node();
      const b = await node();
      const got: Seq[] = [];
      let carried: ActorRef<Seq> | undefined;
      b.system.spawn(
        receiveMessage<Carry>((m) => void (carried = m.ref)),
        'keeper',
      );
      const sinkA = a.system.spawn(
        receiveMessage<Seq>((m) => void got.push(m)),
        'sink',
      );
      a.node.refFor<Carry>(`${b.node.address}/user/keeper`).tell({ type: 'test/carry', ref: sinkA });
      await eventually(() => carried !== undefined);
      const address = a.node.identity.address;
      await a.node.shutdown();
      nodes.splice(nodes.indexOf(a.node), 1);
      const a2 = await node({ address });
      const got2: Seq[] = [];
      a2.system.spawn(
        receiveMessage<Seq>((m) => void got2.push(m)),
        'sink',
      );
      // Make b meet the new incarnation, then use the old ref.
      await ask(
        b.node.refFor<Echo>(`${a2.node.address}/user/nobody`),
        () => ({ type: 'test/seq', n: 0 }) as never,
        {
          timeoutMs: 200,
        },
      ).catch(() => undefined);
      await eventually(() => b.node.peers().some((p) => p.incarnation === a2.node.incarnation));
      carried!.tell({ type: 'test/seq', n: 1 });
      await eventually(() => [...b.dead, ...a2.dead].some((d) => d.reason === 'wrong-incarnation'));
      await new Promise((r) => setTimeout(r, 50));
      expect(got2).toEqual([]);
    });

    it('reconnects after the connection is lost and delivers what is sent afterwards', async () => {
      const connections: Connection[] = [];
      const a = await node();
      const b = await node({ connections });
      const got: number[] = [];
      a.system.spawn(
        receiveMessage<Seq>((m) => void got.push(m.n)),
        'sink',
      );
      const sink = b.node.refFor<Seq>(`${a.node.address}/user/sink`);
      sink.tell({ type: 'test/seq', n: 1 });
      await eventually(() => got.length === 1);
      for (const c of connections) c.terminate();
      await eventually(() => b.events.some((e) => e.type === 'peer-disconnected'));
      sink.tell({ type: 'test/seq', n: 2 });
      await eventually(() => got.includes(2));
      expect(b.events.filter((e) => e.type === 'peer-connected').length).toBeGreaterThanOrEqual(2);
    });

    it('declares an unreachable node gone: watchers get Terminated and waiting messages become dead letters', async () => {
      const a = await node();
      const b = await node();
      a.system.spawn(echo, 'echo');
      const remote = b.node.refFor<Echo>(`${a.node.address}/user/echo`);
      await ask(remote, (replyTo: ActorRef<Echoed>): Echo => ({ type: 'test/echo', text: 'x', replyTo }));
      const seen: string[] = [];
      watchFrom(b.system, remote, (ref) => seen.push(ref.path));
      await new Promise((r) => setTimeout(r, 50));
      // The node vanishes without stopping its actors: nobody says goodbye.
      await (a.node as unknown as { transport: Transport }).transport.close();
      remote.tell({ type: 'test/echo', text: 'lost', replyTo: b.system.deadLetters as ActorRef<Echoed> });
      await eventually(() => seen.length === 1, 5000);
      expect(b.events.some((e) => e.type === 'peer-unreachable')).toBe(true);
      await eventually(() => b.dead.some((d) => d.reason === 'peer-unreachable'));
    });

    it('refuses a message type with no codec before it leaves, and the connection goes on', async () => {
      const a = await node();
      const b = await node();
      const got: number[] = [];
      a.system.spawn(
        receiveMessage<Seq>((m) => void got.push(m.n)),
        'sink',
      );
      const sink = b.node.refFor<unknown>(`${a.node.address}/user/sink`);
      sink.tell({ type: 'not/registered' });
      sink.tell({ type: 'test/seq', n: 5 });
      await eventually(() => got.length === 1);
      expect(b.dead.map((d) => d.reason)).toEqual(['unserializable']);
      const refused = b.events.find((e) => e.type === 'refused-message');
      expect(refused && refused.type === 'refused-message' && refused.error).toBeInstanceOf(
        UnregisteredMessageError,
      );
    });

    it('refuses an unknown manifest on arrival with a dead letter and an event, and the connection goes on', async () => {
      const a = await node();
      const b = await node({
        serialization: testSerialization((s) => s.register(messageType<Unknown>('test/only-here'))),
      });
      const got: number[] = [];
      a.system.spawn(
        receiveMessage<Seq>((m) => void got.push(m.n)),
        'sink',
      );
      const sink = b.node.refFor<Seq | Unknown>(`${a.node.address}/user/sink`);
      sink.tell({ type: 'test/only-here' });
      sink.tell({ type: 'test/seq', n: 6 });
      await eventually(() => got.length === 1);
      await eventually(() => a.dead.length === 1);
      expect(a.dead[0].reason).toBe('malformed');
      const refused = a.events.find((e) => e.type === 'refused-message');
      expect(refused && refused.type === 'refused-message' && refused.error).toBeInstanceOf(
        UnknownManifestError,
      );
    });

    it('dead-letters a message for a path nobody lives at', async () => {
      const a = await node();
      const b = await node();
      b.node.refFor<Seq>(`${a.node.address}/user/nobody`).tell({ type: 'test/seq', n: 1 });
      await eventually(() => a.dead.length === 1);
      expect(a.dead[0]).toEqual(
        expect.objectContaining({ reason: 'unknown-recipient', message: { type: 'test/seq', n: 1 } }),
      );
    });
  });
}
