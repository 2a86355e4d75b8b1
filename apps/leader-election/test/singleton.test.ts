import { ask, type DeadLetterEvent } from '@troupe/core';
import { simulate } from '@troupe/testkit';
import { InvalidSingletonOptionsError, startSingleton } from '../src';
import { agreedLeader, deploy, type Me, testSerialization, type Who, whoAmI } from './apps';

const nameOf = (address: string) => address.split('@')[1];
const who = (replyTo: import('@troupe/core').ActorRef<Me>): Who => ({ type: 'test/who', replyTo });

jest.setTimeout(60_000);

describe('a cluster singleton', () => {
  it('runs on the leader only, with the leader term as token, and every proxy reaches it', async () => {
    const { deployment, setup } = deploy(3, { singleton: true });
    await simulate({ seed: 11, nodes: 3, setup, serialization: testSerialization }, async (sim) => {
      await sim.runUntil(() => agreedLeader(sim, deployment) !== undefined, 1000);
      await sim.run(50);
      const leader = nameOf(agreedLeader(sim, deployment)!);
      const term = deployment.elections.get(leader)!.term();
      for (const [name, singleton] of deployment.singletons) {
        expect(singleton.runningHere()).toBe(name === leader);
        const reply = await sim.waitFor(ask(singleton.proxy, who, { timeoutMs: 500 }), 1000);
        expect(reply).toEqual({ type: 'test/me', token: term, node: leader });
      }
    });
  });

  it('buffers what is told before any leader is known, and delivers it once one is', async () => {
    const { deployment, setup } = deploy(3, { singleton: true });
    await simulate({ seed: 12, nodes: 3, setup, serialization: testSerialization }, async (sim) => {
      const proxy = deployment.singletons.get('node-2')!.proxy;
      expect(deployment.elections.get('node-2')!.currentLeader()).toBeUndefined();
      const reply = ask(proxy, who, { timeoutMs: 2000 });
      const me = await sim.waitFor(reply, 3000);
      expect(me.node).toBe(nameOf(agreedLeader(sim, deployment)!));
    });
  });

  it('drops the newest messages as dead letters once its buffer is full', async () => {
    const { deployment, setup } = deploy(3, { singleton: true, bufferSize: 2 });
    await simulate({ seed: 13, nodes: 3, setup, serialization: testSerialization }, async (sim) => {
      const system = sim.node('node-1').system;
      const dead: DeadLetterEvent[] = [];
      system.events.subscribe('dead-letter', (e) => dead.push(e));
      const proxy = deployment.singletons.get('node-1')!.proxy;
      const replies = [1, 2, 3].map(() =>
        ask(proxy, who, { timeoutMs: 2000 }).then(
          () => 'answered',
          () => 'timed out',
        ),
      );
      await sim.run(2500);
      expect(await Promise.all(replies)).toEqual(['answered', 'answered', 'timed out']);
      expect(dead.filter((e) => e.reason === 'mailbox-full')).toHaveLength(1);
    });
  });

  it('moves to the new leader when the leader crashes, with the new term as token', async () => {
    const { deployment, setup } = deploy(3, { singleton: true });
    await simulate({ seed: 14, nodes: 3, setup, serialization: testSerialization }, async (sim) => {
      await sim.runUntil(() => agreedLeader(sim, deployment) !== undefined, 1000);
      const old = nameOf(agreedLeader(sim, deployment)!);
      const oldTerm = deployment.elections.get(old)!.term();
      sim.apply({ type: 'crash', node: old, restartAfterMs: null });
      await sim.runUntil(() => agreedLeader(sim, deployment) !== undefined, 2000);
      await sim.run(20);
      const next = nameOf(agreedLeader(sim, deployment)!);
      expect(next).not.toBe(old);
      for (const name of ['node-1', 'node-2', 'node-3'].filter((n) => n !== old)) {
        expect(deployment.singletons.get(name)!.runningHere()).toBe(name === next);
        const reply = await sim.waitFor(
          ask(deployment.singletons.get(name)!.proxy, who, { timeoutMs: 500 }),
          1000,
        );
        expect(reply.node).toBe(next);
        expect(reply.token).toBeGreaterThan(oldTerm);
      }
    });
  });

  it('stops its instance when its node steps down', async () => {
    const { deployment, setup } = deploy(3, { singleton: true });
    await simulate({ seed: 15, nodes: 3, setup, serialization: testSerialization }, async (sim) => {
      await sim.runUntil(() => agreedLeader(sim, deployment) !== undefined, 1000);
      await sim.run(20);
      const old = nameOf(agreedLeader(sim, deployment)!);
      expect(deployment.singletons.get(old)!.runningHere()).toBe(true);
      sim.apply({ type: 'isolate', node: old });
      await sim.run(400);
      expect(deployment.elections.get(old)!.isLeader()).toBe(false);
      expect(deployment.singletons.get(old)!.runningHere()).toBe(false);
      expect(sim.node(old).system.lookup('/user/who')).toBeUndefined();
    });
  });

  it('refuses options without a name or a behaviour, or with a buffer below one', async () => {
    const { deployment, setup } = deploy(1);
    await simulate({ seed: 16, nodes: 1, setup, serialization: testSerialization }, () => {
      const election = deployment.elections.get('node-1')!;
      const attempt = (options: object) => {
        try {
          startSingleton(election, options as never);
        } catch (e) {
          return e;
        }
      };
      for (const bad of [
        { behavior: whoAmI('x') },
        { name: 'who', behavior: 'nope' },
        { name: 'who', behavior: whoAmI('x'), bufferSize: 0 },
      ]) {
        expect(attempt(bad)).toBeInstanceOf(InvalidSingletonOptionsError);
        expect(attempt(bad)).toMatchObject({ code: 'LEADER_ERR_INVALID_SINGLETON' });
      }
    });
  });
});
