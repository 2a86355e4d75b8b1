/**
 * A fast 32-bit string hash (FNV-1a over UTF-16 code units, then murmur3's finaliser so that similar strings such
 * as `node-1#0` and `node-1#1` land far apart on the ring). Not cryptographic: placement and Merkle buckets only
 * need spread and determinism across processes.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** murmur3's fmix32: every input bit affects every output bit. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
