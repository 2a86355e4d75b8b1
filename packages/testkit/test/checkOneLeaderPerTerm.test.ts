import { InvalidArgumentError } from '@troupe/core';
import { checkOneLeaderPerTerm, type RoleObservation } from '@troupe/testkit';

const seen = (node: string, term: number, role: RoleObservation['role'], at: number): RoleObservation => ({
  node,
  term,
  role,
  at,
});

describe('checkOneLeaderPerTerm', () => {
  it('accepts one leader per term, changing from term to term', () => {
    expect(
      checkOneLeaderPerTerm([
        seen('a', 1, 'candidate', 0),
        seen('a', 1, 'leader', 10),
        seen('b', 1, 'follower', 11),
        seen('a', 1, 'leader', 500),
        seen('b', 2, 'leader', 900),
        seen('a', 2, 'follower', 901),
        seen('c', 3, 'leader', 1500),
      ]),
    ).toEqual({ ok: true });
    expect(checkOneLeaderPerTerm([])).toEqual({ ok: true });
  });

  it('fails naming the term and both nodes when two nodes lead the same term', () => {
    const result = checkOneLeaderPerTerm([
      seen('a', 4, 'leader', 100),
      seen('b', 4, 'follower', 120),
      seen('b', 4, 'leader', 150),
    ]);
    expect(result).toMatchObject({ ok: false, term: 4, nodes: ['a', 'b'] });
    if (!result.ok) {
      expect(result.reason).toBe('two leaders in term 4: "a" (seen at t=100) and "b" (seen at t=150)');
      expect(result.observations).toEqual([seen('a', 4, 'leader', 100), seen('b', 4, 'leader', 150)]);
    }
  });

  it('reports the earliest violation in time, whatever the order of the observations', () => {
    const result = checkOneLeaderPerTerm([
      seen('c', 7, 'leader', 900),
      seen('d', 7, 'leader', 950),
      seen('b', 5, 'leader', 300),
      seen('a', 5, 'leader', 200),
    ]);
    expect(result).toMatchObject({ ok: false, term: 5, nodes: ['a', 'b'] });
  });

  it('refuses something that is not an observation with InvalidArgumentError', () => {
    expect(() => checkOneLeaderPerTerm([{ node: 'a' } as RoleObservation])).toThrow(InvalidArgumentError);
  });
});
