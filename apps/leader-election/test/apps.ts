import { type ActorRef, type Behavior, receive } from '@troupe/core';
import { isActorRef, messageType, Serialization } from '@troupe/remote';
import type { SimNode, Simulation } from '@troupe/testkit';
import {
  type ElectionSettings,
  type ElectionStorage,
  type LeaderElection,
  memoryStorage,
  type Singleton,
  startLeaderElection,
  startSingleton,
} from '../src';

export type Who = { type: 'test/who'; replyTo: ActorRef<Me> };
export type Me = { type: 'test/me'; token: number; node: string };

export function testSerialization(): Serialization {
  return new Serialization()
    .register(messageType<Who>('test/who', (m) => isActorRef(m.replyTo)))
    .register(messageType<Me>('test/me', (m) => Number.isInteger(m.token) && typeof m.node === 'string'));
}

/** The singleton of the tests: answers who it is and the fencing token it was started with. */
export const whoAmI =
  (node: string) =>
  (token: number): Behavior<Who> =>
    receive<Who>((_ctx, m) => m.replyTo.tell({ type: 'test/me', token, node }));

export const voters = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `troupe://sim@node-${i + 1}`);

/** Every start of every node's election (and singleton), by node name: the latest one is last. */
export interface Deployment {
  readonly elections: Map<string, LeaderElection>;
  readonly singletons: Map<string, Singleton<Who>>;
  readonly disks: Map<string, ElectionStorage>;
}

export function deploy(
  n: number,
  options: { settings?: Partial<ElectionSettings>; singleton?: boolean; bufferSize?: number } = {},
): { deployment: Deployment; setup: (node: SimNode) => void } {
  const deployment: Deployment = { elections: new Map(), singletons: new Map(), disks: new Map() };
  return {
    deployment,
    setup: (node) => {
      let disk = deployment.disks.get(node.name);
      if (!disk) deployment.disks.set(node.name, (disk = memoryStorage()));
      const election = startLeaderElection(node.node, {
        voters: voters(n),
        storage: disk,
        settings: options.settings,
      });
      deployment.elections.set(node.name, election);
      if (options.singleton) {
        deployment.singletons.set(
          node.name,
          startSingleton(election, {
            name: 'who',
            behavior: whoAmI(node.name),
            bufferSize: options.bufferSize,
          }),
        );
      }
    },
  };
}

/** The live nodes' elections. */
export function liveElections(sim: Simulation, d: Deployment): LeaderElection[] {
  return sim.nodes.filter((n) => n.alive).map((n) => d.elections.get(n.name)!);
}

/** True when every live node follows the same leader, which leads that term. */
export function agreedLeader(sim: Simulation, d: Deployment): string | undefined {
  const live = liveElections(sim, d);
  const first = live[0]?.currentLeader();
  if (!first) return undefined;
  const ok = live.every((e) => {
    const l = e.currentLeader();
    return l?.address === first.address && l.term === first.term;
  });
  const leader = live.find((e) => e.address === first.address);
  return ok && leader?.isLeader() ? first.address : undefined;
}
