import { createActorSystem, receiveMessage, receive, type ActorRef } from '@troupe/core';
import type { Contender, IdleHost, Trial } from '../contender.js';
import { deferred } from '../deferred.js';

interface Ping {
  left: number;
  replyTo: ActorRef<Ping>;
}

const newSystem = () => createActorSystem({ name: 'bench', logLevel: 'off' });

function pingPong(inFlight: number, deliveries: number): Trial {
  const system = newSystem();
  const done = deferred();
  let finished = 0;
  const bounce = receive<Ping>((ctx, msg) => {
    if (msg.left === 0) {
      if (++finished === inFlight) done.resolve();
      return;
    }
    msg.replyTo.tell({ left: msg.left - 1, replyTo: ctx.self });
  });
  const a = system.spawn(bounce);
  const b = system.spawn(bounce);
  const hops = deliveries / inFlight - 1;
  return {
    async run() {
      for (let i = 0; i < inFlight; i++) a.tell({ left: hops, replyTo: b });
      await done.promise;
    },
    dispose: () => system.terminate(),
  };
}

function fanOut(actors: number, perActor: number, rounds: number): Trial {
  const system = newSystem();
  const perRound = actors * perActor;
  let handled = 0;
  let round = deferred();
  const count = receiveMessage<number>(() => {
    if (++handled === perRound) round.resolve();
  });
  const refs = Array.from({ length: actors }, () => system.spawn(count));
  return {
    async run() {
      for (let r = 0; r < rounds; r++) {
        handled = 0;
        round = deferred();
        for (let k = 0; k < perActor; k++) for (let i = 0; i < actors; i++) refs[i].tell(k);
        await round.promise;
      }
    },
    dispose: () => system.terminate(),
  };
}

function spawnMany(count: number): Trial {
  const system = newSystem();
  const done = deferred();
  const behavior = receiveMessage<number>(() => done.resolve());
  const refs: ActorRef<number>[] = new Array(count).fill(null);
  return {
    async run() {
      for (let i = 0; i < count; i++) refs[i] = system.spawn(behavior);
      refs[count - 1].tell(0);
      await done.promise;
    },
    async dispose() {
      await system.terminate();
      refs.length = 0;
    },
  };
}

async function idleHost(): Promise<IdleHost> {
  const system = newSystem();
  const behavior = receiveMessage<number>(() => {});
  return {
    async spawnIdle(refs) {
      for (let i = 0; i < refs.length; i++) refs[i] = system.spawn(behavior);
    },
    dispose: () => system.terminate(),
  };
}

export const troupe: Contender = { name: 'troupe', pingPong, fanOut, spawnMany, idleHost };
