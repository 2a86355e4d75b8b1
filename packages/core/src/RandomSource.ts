/**
 * A source of uniformly distributed numbers in [0, 1). The actor system takes one so that jitter (and, above
 * core, election timeouts and fault injection) can be replayed from a seed.
 */
export interface RandomSource {
  next(): number;
}

/**
 * A small, fast, seeded generator (sfc32, seeded through splitmix32). Not cryptographic.
 *
 * @example
 * ```ts
 * const random = createSeededRandom(42);
 * random.next(); // the same sequence for seed 42, every run
 * ```
 */
export function createSeededRandom(seed: number): RandomSource {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return {
    next() {
      const t = (((a + b) >>> 0) + d) >>> 0;
      d = (d + 1) >>> 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) >>> 0;
      c = (c << 21) | (c >>> 11);
      c = (c + t) >>> 0;
      return t / 4294967296;
    },
  };
}

/** `Math.random`, for production systems that need no replay. */
export const mathRandom: RandomSource = { next: () => Math.random() };
