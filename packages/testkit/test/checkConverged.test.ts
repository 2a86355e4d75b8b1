import { checkConverged } from '@troupe/testkit';

describe('checkConverged', () => {
  it('accepts nodes holding deeply equal states, from a Map or a record', () => {
    const state = () => ({ log: [1, 2, 3], members: new Set(['a', 'b']), meta: { term: 2 } });
    expect(
      checkConverged(
        new Map([
          ['a', state()],
          ['b', state()],
          ['c', state()],
        ]),
      ),
    ).toEqual({ ok: true });
    expect(checkConverged({ a: 1, b: 1 })).toEqual({ ok: true });
  });

  it('accepts no nodes and a single node', () => {
    expect(checkConverged(new Map())).toEqual({ ok: true });
    expect(checkConverged({ only: { x: 1 } })).toEqual({ ok: true });
  });

  it('fails listing the nodes that differ from the largest group, and what each group holds', () => {
    const result = checkConverged(
      new Map<string, unknown>([
        ['a', { x: 1 }],
        ['b', { x: 2 }],
        ['c', { x: 1 }],
        ['d', { x: 3 }],
      ]),
    );
    expect(result).toMatchObject({ ok: false, differing: ['b', 'd'] });
    if (!result.ok) {
      expect(result.groups.map((g) => g.nodes)).toEqual([['a', 'c'], ['b'], ['d']]);
      expect(result.reason).toBe(
        '2 of 4 nodes differ (b, d): "a", "c" have { x: 1 }; "b" has { x: 2 }; "d" has { x: 3 }',
      );
    }
  });
});
