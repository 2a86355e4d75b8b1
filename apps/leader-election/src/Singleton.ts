import { type ActorRef, type Behavior, receive, setup } from '@troupe/core';
import type { LeaderChange, LeaderElection } from './LeaderElection';
import { InvalidSingletonOptionsError, LeaderElectionStoppedError } from './LeaderElectionError';

/** Options of {@link startSingleton}. */
export interface SingletonOptions<M> {
  /** The instance runs at `/user/<name>` on the leader; the proxy at `/user/<name>-proxy` on every node. */
  readonly name: string;
  /** Makes the instance's behaviour, given the fencing token (the leader's term). */
  readonly behavior: (token: number) => Behavior<M>;
  /** Messages the proxy keeps while no leader is known; beyond, the newest are dead letters. Default 1000. */
  readonly bufferSize?: number;
}

/** A cluster singleton as one node sees it. */
export interface Singleton<M> {
  /** Reaches the instance wherever it runs; buffers while no leader is known. */
  readonly proxy: ActorRef<M>;
  /** True while the instance runs on this node. */
  runningHere(): boolean;
  /** Stops the proxy and, if it runs here, the instance. */
  stop(): Promise<void>;
}

const CONTROL = 'troupe.singleton/target';
type Control = { type: typeof CONTROL; target: ActorRef<unknown> | undefined };

/**
 * Runs `behavior` on the elected leader only: started with the leader's term as fencing token when this node
 * becomes leader, stopped when it steps down. Every node gets a proxy that forwards to the instance on the leader
 * it believes in, and buffers (up to `bufferSize`) while it knows none. Delivery is at most once, as any tell:
 * messages in flight to a leader that dies are lost. The messages must be registered in the node's Serialization.
 *
 * @example
 * ```ts
 * const counter = startSingleton(election, {
 *   name: 'counter',
 *   behavior: (token) => receive<Inc>((ctx, m) => m.replyTo.tell({ type: 'count', token })),
 * });
 * counter.proxy.tell({ type: 'inc', replyTo });
 * ```
 */
export function startSingleton<M>(election: LeaderElection, options: SingletonOptions<M>): Singleton<M> {
  if (!options || typeof options.name !== 'string' || options.name.length === 0) {
    throw new InvalidSingletonOptionsError('a name is required');
  }
  if (typeof options.behavior !== 'function') {
    throw new InvalidSingletonOptionsError('behavior must be a function of the fencing token');
  }
  const bufferSize = options.bufferSize ?? 1000;
  if (!Number.isSafeInteger(bufferSize) || bufferSize < 1) {
    throw new InvalidSingletonOptionsError(`bufferSize must be an integer >= 1, got ${String(bufferSize)}`);
  }
  const { node } = election;
  const system = node.system;
  if (system.isTerminated) throw new LeaderElectionStoppedError(election.address);
  const { name } = options;

  const proxy = system.spawn(
    proxyBehavior<M>(bufferSize, `${election.address}/user/${name}`),
    `${name}-proxy`,
  );
  let instance: ActorRef<M> | undefined;
  let instanceTerm = -1;
  let leader: LeaderChange = { term: 0, role: 'follower' };
  let stopped = false;
  // The previous instance's stop may still be under way when a new term begins here: the name is taken until then.
  let previousStopped: Promise<void> = Promise.resolve();

  const retarget = (): void => {
    let target: ActorRef<unknown> | undefined;
    if (leader.leader === undefined) target = undefined;
    else if (leader.leader === election.address) target = instance as ActorRef<unknown> | undefined;
    else target = node.refFor(`${leader.leader}/user/${name}`);
    proxy.tell({ type: CONTROL, target } as Control as unknown as M);
  };

  const startInstance = (term: number): void => {
    if (stopped || instance || system.isTerminated || leader.role !== 'leader' || leader.term !== term)
      return;
    instance = system.spawn(options.behavior(term), name);
    instanceTerm = term;
    retarget();
  };

  const stopInstance = (): void => {
    if (!instance) return;
    const ref = instance;
    instance = undefined;
    instanceTerm = -1;
    system.stop(ref);
    previousStopped = system.whenStopped(ref);
  };

  const unsubscribe = election.subscribe((change) => {
    leader = change;
    if (instance && (change.role !== 'leader' || change.term !== instanceTerm)) stopInstance();
    if (change.role === 'leader' && !instance && !stopped) {
      const term = change.term;
      void previousStopped.then(() => startInstance(term));
    }
    retarget();
  });

  return {
    proxy: proxy as ActorRef<M>,
    runningHere: () => instance !== undefined,
    async stop() {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      stopInstance();
      if (!system.isTerminated) {
        system.stop(proxy);
        await system.whenStopped(proxy);
      }
      await previousStopped;
    },
  };
}

function proxyBehavior<M>(capacity: number, description: string): Behavior<M | Control> {
  return setup<M | Control>((ctx) => {
    let target: ActorRef<unknown> | undefined;
    const buffer: M[] = [];
    return receive<M | Control>((_ctx, message) => {
      const m = message as { type?: unknown };
      if (m !== null && typeof m === 'object' && m.type === CONTROL) {
        target = (message as Control).target;
        if (target) for (const queued of buffer.splice(0)) target.tell(queued);
        return;
      }
      if (target) target.tell(message);
      else if (buffer.length < capacity) buffer.push(message as M);
      else ctx.system.deadLetter(description, message, 'mailbox-full');
    });
  });
}
