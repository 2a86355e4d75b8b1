import { dispatch, spawnStateless, start, stop, type Ref } from 'nact';
import type { Contender, IdleHost, Trial } from '../contender.js';
import { deferred } from '../deferred.js';

// nact handles each message in its own setImmediate callback through an async function,
// so its figures include one event-loop turn and one promise per message.

interface Ping {
  left: number;
  replyTo: Ref<Ping>;
}

function pingPong(inFlight: number, deliveries: number): Trial {
  const system = start();
  const done = deferred();
  let finished = 0;
  const bounce = (msg: Ping, ctx: { self: Ref<Ping> }): void => {
    if (msg.left === 0) {
      if (++finished === inFlight) done.resolve();
      return;
    }
    dispatch(msg.replyTo, { left: msg.left - 1, replyTo: ctx.self });
  };
  const a = spawnStateless(system, bounce, 'a');
  const b = spawnStateless(system, bounce, 'b');
  const hops = deliveries / inFlight - 1;
  return {
    async run() {
      for (let i = 0; i < inFlight; i++) dispatch(a, { left: hops, replyTo: b });
      await done.promise;
    },
    async dispose() {
      stop(system);
    },
  };
}

function fanOut(actors: number, perActor: number, rounds: number): Trial {
  const system = start();
  const perRound = actors * perActor;
  let handled = 0;
  let round = deferred();
  const count = (_msg: number): void => {
    if (++handled === perRound) round.resolve();
  };
  const refs = Array.from({ length: actors }, (_, i) => spawnStateless(system, count, `w${i}`));
  return {
    async run() {
      for (let r = 0; r < rounds; r++) {
        handled = 0;
        round = deferred();
        for (let k = 0; k < perActor; k++) for (let i = 0; i < actors; i++) dispatch(refs[i], k);
        await round.promise;
      }
    },
    async dispose() {
      stop(system);
    },
  };
}

// nact's anonymous names are random 32-bit numbers, which collide (and throw) within a few
// hundred thousand spawns, so every actor gets an explicit name. Building it stays on the
// clock and on the heap bill, as nact's own anonymous name would.

function spawnMany(count: number): Trial {
  const system = start();
  const done = deferred();
  const handler = (_msg: number): void => done.resolve();
  const refs: Ref<number>[] = new Array(count).fill(null);
  return {
    async run() {
      for (let i = 0; i < count; i++) refs[i] = spawnStateless(system, handler, `a${i}`);
      dispatch(refs[count - 1], 0);
      await done.promise;
    },
    async dispose() {
      stop(system);
      refs.length = 0;
    },
  };
}

async function idleHost(): Promise<IdleHost> {
  const system = start();
  const ignore = (_msg: number): void => {};
  return {
    async spawnIdle(refs) {
      for (let i = 0; i < refs.length; i++) refs[i] = spawnStateless(system, ignore, `a${i}`);
    },
    async dispose() {
      stop(system);
    },
  };
}

export const nact: Contender = { name: 'nact', pingPong, fanOut, spawnMany, idleHost };
