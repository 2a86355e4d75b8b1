import { hash32, mix32 } from './internal/hash';

/**
 * A Merkle tree over a replica's keys, for anti-entropy: keys fall into `2^depth` buckets by hash, a bucket's
 * hash sums the hashes of its (key, version) pairs (so the order entries are added in does not matter), and each
 * inner node hashes its two children. Two replicas compare trees top down and exchange only the buckets whose
 * hashes differ.
 *
 * @example
 * ```ts
 * const a = MerkleTree.build([['x', '10.0.n1'], ['y', '12.0.n1']]);
 * const b = MerkleTree.build([['x', '10.0.n1']]);
 * a.diff(b); // [bucket of 'y']
 * ```
 */
export class MerkleTree {
  /** Every node, breadth first: `nodes[0]` is the root, node `i`'s children are `2i + 1` and `2i + 2`. */
  readonly nodes: Uint32Array;

  private constructor(
    readonly depth: number,
    nodes: Uint32Array,
  ) {
    this.nodes = nodes;
  }

  /** A tree over `(key, version)` pairs; the version is any string that changes when the entry does. */
  static build(entries: Iterable<readonly [key: string, version: string]>, depth = 8): MerkleTree {
    checkDepth(depth);
    const leaves = 1 << depth;
    const nodes = new Uint32Array(2 * leaves - 1);
    const first = leaves - 1;
    for (const [key, version] of entries) {
      const i = first + MerkleTree.bucketOf(key, depth);
      nodes[i] = (nodes[i] + hash32(`${key}\u0000${version}`)) >>> 0;
    }
    for (let i = first - 1; i >= 0; i--) nodes[i] = combine(nodes[2 * i + 1], nodes[2 * i + 2]);
    return new MerkleTree(depth, nodes);
  }

  /** A tree received from a peer, as its `nodes`; `undefined` when the shape is wrong. */
  static fromNodes(nodes: ArrayLike<number>, depth: number): MerkleTree | undefined {
    if (!Number.isInteger(depth) || depth < 0 || depth > 16 || nodes.length !== 2 * (1 << depth) - 1) return;
    const copy = new Uint32Array(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const v = nodes[i];
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) return;
      copy[i] = v;
    }
    return new MerkleTree(depth, copy);
  }

  /** Which bucket a key falls into. */
  static bucketOf(key: string, depth: number): number {
    return depth === 0 ? 0 : hash32(key) >>> (32 - depth);
  }

  get root(): number {
    return this.nodes[0];
  }

  /**
   * Buckets whose contents differ, found by descending only into subtrees whose hashes differ. Empty when the
   * roots are equal. Throws a `RangeError` for trees of different depths.
   */
  diff(other: MerkleTree): number[] {
    if (other.depth !== this.depth) throw new RangeError('Merkle trees of different depths');
    const first = (1 << this.depth) - 1;
    const out: number[] = [];
    const stack = [0];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (this.nodes[i] === other.nodes[i]) continue;
      if (i >= first) out.push(i - first);
      else stack.push(2 * i + 2, 2 * i + 1);
    }
    return out.sort((a, b) => a - b);
  }
}

function combine(left: number, right: number): number {
  return mix32((Math.imul(left, 0x9e3779b1) ^ right) + 0x7f4a7c15);
}

function checkDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 0 || depth > 16) throw new RangeError('depth must be 0..16');
}
