import { BareActor, BareQueue } from '../bare-queue.js';
import type { Contender, IdleHost, Trial } from '../contender.js';
import { deferred } from '../deferred.js';

interface Ping {
  left: number;
  replyTo: BareActor<Ping>;
}

function pingPong(inFlight: number, deliveries: number): Trial {
  const queue = new BareQueue();
  const done = deferred();
  let finished = 0;
  const bounce = (msg: Ping, self: BareActor<Ping>): void => {
    if (msg.left === 0) {
      if (++finished === inFlight) done.resolve();
      return;
    }
    msg.replyTo.tell({ left: msg.left - 1, replyTo: self });
  };
  const a = new BareActor(bounce, queue);
  const b = new BareActor(bounce, queue);
  const hops = deliveries / inFlight - 1;
  return {
    async run() {
      for (let i = 0; i < inFlight; i++) a.tell({ left: hops, replyTo: b });
      await done.promise;
    },
    async dispose() {},
  };
}

function fanOut(actors: number, perActor: number, rounds: number): Trial {
  const queue = new BareQueue();
  const perRound = actors * perActor;
  let handled = 0;
  let round = deferred();
  const count = (): void => {
    if (++handled === perRound) round.resolve();
  };
  const refs = Array.from({ length: actors }, () => new BareActor<number>(count, queue));
  return {
    async run() {
      for (let r = 0; r < rounds; r++) {
        handled = 0;
        round = deferred();
        for (let k = 0; k < perActor; k++) for (let i = 0; i < actors; i++) refs[i].tell(k);
        await round.promise;
      }
    },
    async dispose() {},
  };
}

function spawnMany(count: number): Trial {
  const queue = new BareQueue();
  const refs: BareActor<number>[] = new Array(count).fill(null);
  const done = deferred();
  const handler = (): void => done.resolve();
  return {
    async run() {
      for (let i = 0; i < count; i++) refs[i] = new BareActor(handler, queue);
      refs[count - 1].tell(0);
      await done.promise;
    },
    async dispose() {
      refs.length = 0;
    },
  };
}

async function idleHost(): Promise<IdleHost> {
  const queue = new BareQueue();
  const ignore = (): void => {};
  return {
    async spawnIdle(refs) {
      for (let i = 0; i < refs.length; i++) refs[i] = new BareActor(ignore, queue);
    },
    async dispose() {},
  };
}

export const baseline: Contender = { name: 'baseline', pingPong, fanOut, spawnMany, idleHost };
