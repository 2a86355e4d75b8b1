import { createActor, fromTransition, type AnyActorRef } from 'xstate';
import type { Contender, IdleHost, Trial } from '../contender.js';
import { deferred } from '../deferred.js';

// xstate processes an event synchronously inside `send` (its mailbox only queues re-entrant
// sends), so there is no scheduler cost here: these figures measure per-event overhead.

interface Ping {
  type: 'ping';
  left: number;
  replyTo: AnyActorRef;
}

interface Tick {
  type: 'tick';
}

const tick: Tick = { type: 'tick' };

function pingPong(inFlight: number, deliveries: number): Trial {
  const done = deferred();
  let finished = 0;
  const logic = fromTransition((state: number, msg: Ping, scope) => {
    if (msg.left === 0) {
      if (++finished === inFlight) done.resolve();
      return state;
    }
    msg.replyTo.send({ type: 'ping', left: msg.left - 1, replyTo: scope.self });
    return state;
  }, 0);
  const a = createActor(logic).start();
  const b = createActor(logic).start();
  const hops = deliveries / inFlight - 1;
  return {
    async run() {
      for (let i = 0; i < inFlight; i++) a.send({ type: 'ping', left: hops, replyTo: b });
      await done.promise;
    },
    async dispose() {
      a.stop();
      b.stop();
    },
  };
}

function fanOut(actors: number, perActor: number, rounds: number): Trial {
  const perRound = actors * perActor;
  let handled = 0;
  let round = deferred();
  const logic = fromTransition((state: number, _msg: Tick) => {
    if (++handled === perRound) round.resolve();
    return state;
  }, 0);
  const refs = Array.from({ length: actors }, () => createActor(logic).start());
  return {
    async run() {
      for (let r = 0; r < rounds; r++) {
        handled = 0;
        round = deferred();
        for (let k = 0; k < perActor; k++) for (let i = 0; i < actors; i++) refs[i].send(tick);
        await round.promise;
      }
    },
    async dispose() {
      for (const ref of refs) ref.stop();
    },
  };
}

function spawnMany(count: number): Trial {
  const done = deferred();
  const logic = fromTransition((state: number, _msg: Tick) => {
    done.resolve();
    return state;
  }, 0);
  const refs: AnyActorRef[] = new Array(count).fill(null);
  return {
    async run() {
      for (let i = 0; i < count; i++) refs[i] = createActor(logic).start();
      refs[count - 1].send(tick);
      await done.promise;
    },
    async dispose() {
      for (const ref of refs) ref.stop();
      refs.length = 0;
    },
  };
}

async function idleHost(): Promise<IdleHost> {
  const logic = fromTransition((state: number, _msg: Tick) => state, 0);
  let spawned: AnyActorRef[] = [];
  return {
    async spawnIdle(refs) {
      spawned = refs as AnyActorRef[];
      for (let i = 0; i < refs.length; i++) refs[i] = createActor(logic).start();
    },
    async dispose() {
      for (const ref of spawned) ref.stop();
    },
  };
}

export const xstate: Contender = { name: 'xstate', pingPong, fanOut, spawnMany, idleHost };
