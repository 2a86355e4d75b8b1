/** Small applications the simulation tests run on their clusters. */
import { type ActorRef, receive, receiveMessage, setup } from '@troupe/core';
import { isActorRef, messageType, Serialization } from '@troupe/remote';
import type { SimNode } from '../../src/simulation';

export type Echo = { type: 'test/echo'; text: string; replyTo: ActorRef<Echoed> };
export type Echoed = { type: 'test/echoed'; text: string; node: string; incarnation: string };

export function appSerialization(): Serialization {
  return new Serialization()
    .register(messageType<Echo>('test/echo', (m) => typeof m.text === 'string' && isActorRef(m.replyTo)))
    .register(
      messageType<Echoed>(
        'test/echoed',
        (m) => typeof m.text === 'string' && typeof m.node === 'string' && typeof m.incarnation === 'string',
      ),
    );
}

/** What the counter application saw, across every start of every node. */
export interface Counts {
  /** Numbers received by each node's sink, by `node/generation` of the receiver. */
  readonly received: Map<string, number>;
  /** Ticks of each start's ticker, by `node/generation`. */
  readonly ticks: Map<string, number>;
  /** How many times `setup` ran on each node. */
  readonly setups: Map<string, number>;
}

export function newCounts(): Counts {
  return { received: new Map(), ticks: new Map(), setups: new Map() };
}

export function total(map: Map<string, number>, prefix: string): number {
  let n = 0;
  for (const [k, v] of map) if (k.startsWith(prefix)) n += v;
  return n;
}

/**
 * Every node runs an echo (`/user/echo`, answering with its node name and incarnation), a sink counting the
 * numbers it gets (`/user/sink`) and a ticker on a 50 ms timer; node-1 also tells node-2's sink a number every
 * 10 ms.
 */
export function counterApp(counts: Counts) {
  return (node: SimNode): void => {
    const { name, generation, system, incarnation } = node;
    const key = `${name}/${generation}`;
    counts.setups.set(name, (counts.setups.get(name) ?? 0) + 1);
    system.spawn(
      receiveMessage<Echo>((m) =>
        m.replyTo.tell({ type: 'test/echoed', text: m.text, node: name, incarnation }),
      ),
      'echo',
    );
    system.spawn(
      receiveMessage<number>(() => void counts.received.set(key, (counts.received.get(key) ?? 0) + 1)),
      'sink',
    );
    system.spawn(
      setup<'tick'>((ctx) => {
        ctx.timers.startTimerAtFixedRate('tick', 'tick', 50);
        return receive<'tick'>(() => void counts.ticks.set(key, (counts.ticks.get(key) ?? 0) + 1));
      }),
      'ticker',
    );
    if (name === 'node-1') {
      const sink = node.node.refFor<number>(`troupe://${system.name}@node-2/user/sink`);
      system.spawn(
        setup<'send'>((ctx) => {
          let n = 0;
          ctx.timers.startTimerAtFixedRate('send', 'send', 10);
          return receive<'send'>(() => sink.tell(n++));
        }),
        'sender',
      );
    }
  };
}

/** Fast failure detection, so that tests need little virtual time. */
export const quickRemoting = {
  heartbeatIntervalMs: 100,
  unreachableAfterMs: 500,
  reconnect: { minMs: 10, maxMs: 100 },
};
