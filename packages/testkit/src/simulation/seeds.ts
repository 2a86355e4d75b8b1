import { createSeededRandom, type RandomSource } from '@troupe/core';

/**
 * A seed for one named stream of a run, derived from the run's seed. Every consumer of randomness (the
 * scheduler, the network, the nemesis, each start of each node) gets a stream of its own, so that adding a draw
 * in one of them does not shift every other: a scenario that starts one more timer still partitions the same
 * nodes at the same instants.
 */
export function deriveSeed(seed: number, label: string): number {
  // FNV-1a over the label, mixed with the seed, then finalised (murmur3 fmix32) so close labels diverge.
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  h = Math.imul(h ^ (seed / 0x100000000), 0x01000193) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** A seeded stream for one named purpose of a run. */
export function streamFor(seed: number, label: string): RandomSource {
  return createSeededRandom(deriveSeed(seed, label));
}

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * The incarnation id of one start of one node: what `nanoid()` would be in production, drawn from the seed
 * instead so that ids (which travel in every ref) are the same on every replay. The generation up front keeps
 * traces readable.
 */
export function incarnationFor(seed: number, node: string, generation: number): string {
  const random = streamFor(seed, `incarnation:${node}:${generation}`);
  let id = `g${generation}-`;
  for (let i = 0; i < 10; i++) id += ALPHABET[Math.floor(random.next() * ALPHABET.length)];
  return id;
}

/** An integer in `[min, max]`. */
export function randomInt(random: RandomSource, min: number, max: number): number {
  return min + Math.floor(random.next() * (max - min + 1));
}

/** A copy of `items`, shuffled (Fisher-Yates). */
export function shuffled<T>(random: RandomSource, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
