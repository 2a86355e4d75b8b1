import { hash32 } from './internal/hash';

/**
 * A consistent-hash ring with virtual nodes. Each member owns `vnodes` points on a 32-bit ring; a key's replicas
 * are the first `n` distinct members clockwise from the key's hash (its preference list). Adding or removing a
 * member moves only the keys next to its points, about `1 / members` of them. Every node that knows the same
 * members builds the same ring.
 *
 * @example
 * ```ts
 * const ring = new HashRing(['troupe://c@h:1', 'troupe://c@h:2', 'troupe://c@h:3'], 64);
 * ring.preferenceList('user:42', 2); // the two members that hold user:42, primary first
 * ```
 */
export class HashRing {
  readonly members: readonly string[];
  private readonly tokens: Uint32Array;
  private readonly owners: string[];

  constructor(
    members: Iterable<string>,
    readonly vnodes = 64,
  ) {
    this.members = [...new Set(members)].sort();
    const points: { token: number; owner: string }[] = [];
    for (const member of this.members)
      for (let i = 0; i < vnodes; i++) points.push({ token: hash32(`${member}#${i}`), owner: member });
    // Equal tokens (rare) are ordered by owner, so every node sorts them the same way.
    points.sort((a, b) => a.token - b.token || (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
    this.tokens = Uint32Array.from(points, (p) => p.token);
    this.owners = points.map((p) => p.owner);
  }

  get size(): number {
    return this.members.length;
  }

  /** The first `n` distinct members clockwise from the key's hash (fewer when the ring has fewer). */
  preferenceList(key: string, n: number): string[] {
    return this.walk(hash32(key), n);
  }

  /**
   * Every distinct preference list of length `n` on the ring: what a node needs to know which peers share which
   * keys with it, without looking at keys.
   */
  allPreferenceLists(n: number): string[][] {
    const seen = new Map<string, string[]>();
    for (let i = 0; i < this.tokens.length; i++) {
      const list = this.walkFrom(i, n);
      seen.set(list.join(' '), list);
    }
    return [...seen.values()];
  }

  private walk(hash: number, n: number): string[] {
    if (this.tokens.length === 0) return [];
    // First token >= hash, wrapping to 0.
    let lo = 0;
    let hi = this.tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.tokens[mid] < hash) lo = mid + 1;
      else hi = mid;
    }
    return this.walkFrom(lo % this.tokens.length, n);
  }

  private walkFrom(start: number, n: number): string[] {
    const want = Math.min(n, this.members.length);
    const out: string[] = [];
    for (let i = 0; out.length < want && i < this.tokens.length; i++) {
      const owner = this.owners[(start + i) % this.tokens.length];
      if (!out.includes(owner)) out.push(owner);
    }
    return out;
  }
}
