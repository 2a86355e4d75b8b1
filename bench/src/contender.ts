/** One timed unit of work. Setup happens before `run` and teardown in `dispose`, both outside the clock. */
export interface Trial {
  run(): Promise<void>;
  dispose(): Promise<void>;
}

/** Holds whatever system-level state idle actors need, so that state is not charged to the actors. */
export interface IdleHost {
  /** Spawns `refs.length` idle actors, storing each ref in `refs` so none can be collected. */
  spawnIdle(refs: unknown[]): Promise<void>;
  dispose(): Promise<void>;
}

export type ContenderName = 'baseline' | 'troupe' | 'xstate' | 'nact';

/** One actor implementation, driven through the same workloads as every other. */
export interface Contender {
  readonly name: ContenderName;
  /** Two actors bounce `inFlight` messages until `deliveries` messages have been handled in total. */
  pingPong(inFlight: number, deliveries: number): Trial;
  /** `rounds` times: send `perActor` messages to each of `actors` actors and wait until all are handled. */
  fanOut(actors: number, perActor: number, rounds: number): Trial;
  /** Spawns `count` trivial actors, then sends the last one a message and waits for it to be handled. */
  spawnMany(count: number): Trial;
  idleHost(): Promise<IdleHost>;
}
