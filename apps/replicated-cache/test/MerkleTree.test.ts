import { MerkleTree } from '../src';

const entries = (n: number, version = 'v1'): [string, string][] =>
  Array.from({ length: n }, (_, i) => [`key-${i}`, version]);

describe('the Merkle tree', () => {
  it('has equal roots and no differences for the same entries added in any order', () => {
    const a = MerkleTree.build(entries(500));
    const b = MerkleTree.build(entries(500).reverse());
    expect(a.root).toBe(b.root);
    expect(a.diff(b)).toEqual([]);
  });

  it('finds exactly the bucket of a missing key', () => {
    const all = entries(500);
    const a = MerkleTree.build(all);
    const b = MerkleTree.build(all.filter(([k]) => k !== 'key-42'));
    expect(a.diff(b)).toEqual([MerkleTree.bucketOf('key-42', a.depth)]);
  });

  it('finds the buckets of keys whose versions differ', () => {
    const a = MerkleTree.build(entries(500), 6);
    const changed = entries(500, 'v1').map(([k, v]): [string, string] =>
      k === 'key-7' || k === 'key-300' ? [k, 'v2'] : [k, v],
    );
    const b = MerkleTree.build(changed, 6);
    const expected = [...new Set([MerkleTree.bucketOf('key-7', 6), MerkleTree.bucketOf('key-300', 6)])].sort(
      (x, y) => x - y,
    );
    expect(a.diff(b)).toEqual(expected);
  });

  it('survives the wire as a list of node hashes, and rejects a malformed one', () => {
    const a = MerkleTree.build(entries(50), 4);
    const copy = MerkleTree.fromNodes(Array.from(a.nodes), 4)!;
    expect(copy.diff(a)).toEqual([]);
    expect(MerkleTree.fromNodes([1, 2, 3], 4)).toBeUndefined();
    expect(
      MerkleTree.fromNodes(
        Array.from({ length: 31 }, () => -1),
        4,
      ),
    ).toBeUndefined();
  });

  it('refuses to compare trees of different depths', () => {
    expect(() => MerkleTree.build([], 4).diff(MerkleTree.build([], 5))).toThrow(RangeError);
  });
});
