import {
  type ActorSystem,
  type ActorSystemOptions,
  createActorSystem,
  createSeededRandom,
  SimulatedClock,
} from '@troupe/core';

/** A system on virtual time whose dispatcher turns run only in `settle()`: tests decide when actors run. */
export interface ManualSystem {
  system: ActorSystem;
  clock: SimulatedClock;
  /** Runs turns and settles promises until nothing is left to do. */
  settle(): Promise<void>;
}

const flushPromises = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const systems: ActorSystem[] = [];

export function manualSystem(options: Partial<ActorSystemOptions> = {}): ManualSystem {
  const clock = new SimulatedClock();
  const pending: (() => void)[] = [];
  const system = createActorSystem({
    name: 'obs',
    clock,
    random: createSeededRandom(1),
    logLevel: 'off',
    executor: (turn) => pending.push(turn),
    ...options,
  });
  systems.push(system);
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 100_000; i++) {
      const turn = pending.shift();
      if (turn) {
        turn();
        continue;
      }
      await flushPromises();
      if (pending.length === 0) return;
    }
    throw new Error('settle: the system never went idle');
  };
  return { system, clock, settle };
}

afterEach(async () => {
  for (const s of systems.splice(0)) void s.terminate();
});

/** One sample of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses the Prometheus text format strictly enough to catch malformed output: every line is a `# HELP`, a
 * `# TYPE` or a sample of a metric whose TYPE came before it.
 */
export function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*$/.exec(line);
    if (m) continue;
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) {
      types.set(m[1], m[2]);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus exposition line: ${line}`);
    if (!types.has(m[1])) throw new Error(`sample before its TYPE: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
      let l: RegExpExecArray | null;
      let consumed = 0;
      while ((l = re.exec(m[2])) !== null) {
        labels[l[1]] = l[2];
        consumed = re.lastIndex;
      }
      if (consumed !== m[2].length) throw new Error(`malformed labels: ${line}`);
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { types, samples };
}

/** The value of the one sample of `name` whose labels include `labels`; throws if there is not exactly one. */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const hits = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (hits.length !== 1) throw new Error(`${hits.length} samples of ${name} ${JSON.stringify(labels)}`);
  return hits[0].value;
}
