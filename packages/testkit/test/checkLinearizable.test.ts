import { createSeededRandom, InvalidArgumentError } from '@troupe/core';
import { checkLinearizable, type RegisterOperation } from '@troupe/testkit';

/** Shorthands: a completed write / read on key x, by a process, over [from, to]. */
const w = (
  process: string,
  value: unknown,
  from: number,
  to: number | undefined,
  ok = true,
): RegisterOperation => ({
  process,
  kind: 'write',
  key: 'x',
  value,
  invokedAt: from,
  completedAt: to,
  ok,
});
const r = (process: string, value: unknown, from: number, to: number | undefined): RegisterOperation => ({
  process,
  kind: 'read',
  key: 'x',
  value,
  invokedAt: from,
  completedAt: to,
  ok: true,
});

function expectFailure(history: RegisterOperation[]) {
  const result = checkLinearizable(history);
  expect(result.ok).toBe(false);
  if (result.ok || result.verdict !== 'not-linearizable')
    throw new Error(`expected not-linearizable, got ${JSON.stringify(result)}`);
  return result;
}

describe('checkLinearizable: histories that must pass', () => {
  it('accepts an empty history and sequential writes and reads', () => {
    expect(checkLinearizable([])).toEqual({ ok: true });
    expect(
      checkLinearizable([w('a', 1, 0, 10), r('b', 1, 20, 30), w('a', 2, 40, 50), r('b', 2, 60, 70)]),
    ).toEqual({
      ok: true,
    });
  });

  it('accepts a read of the initial value before any write, and one concurrent with the first write', () => {
    expect(
      checkLinearizable([r('b', undefined, 0, 5), w('a', 1, 10, 20), r('b', undefined, 12, 18)]).ok,
    ).toBe(true);
    expect(checkLinearizable([r('b', 0, 0, 5)], { initialValue: 0 }).ok).toBe(true);
  });

  it('counts touching intervals as concurrent', () => {
    expect(checkLinearizable([w('a', 1, 0, 10), r('b', undefined, 10, 20)]).ok).toBe(true);
  });

  it('accepts concurrent writes with reads that see both in one consistent order', () => {
    // Reads during the overlap see 1 then 2: the order write 1, write 2.
    expect(
      checkLinearizable([
        w('a', 1, 0, 100),
        w('b', 2, 0, 100),
        r('c', 1, 10, 20),
        r('c', 2, 30, 40),
        r('d', 2, 110, 120),
      ]).ok,
    ).toBe(true);
    // Or 2 then 1: the other order, just as consistent.
    expect(
      checkLinearizable([
        w('a', 1, 0, 100),
        w('b', 2, 0, 100),
        r('c', 2, 10, 20),
        r('c', 1, 30, 40),
        r('d', 1, 110, 120),
      ]).ok,
    ).toBe(true);
  });

  it('accepts a pending write that took effect, and one that never did', () => {
    expect(checkLinearizable([w('a', 1, 0, undefined), r('b', 1, 100, 110)]).ok).toBe(true);
    expect(checkLinearizable([w('a', 1, 0, undefined), r('b', undefined, 100, 110)]).ok).toBe(true);
    expect(
      checkLinearizable([w('a', 1, 0, undefined), r('b', undefined, 10, 20), r('b', 1, 30, 40)]).ok,
    ).toBe(true);
  });

  it('ignores failed operations and pending reads', () => {
    expect(
      checkLinearizable([
        w('a', 1, 0, 10),
        w('a', 2, 20, 30, false),
        r('b', 1, 40, 50),
        r('c', 99, 40, undefined),
      ]).ok,
    ).toBe(true);
  });

  it('compares values structurally', () => {
    expect(checkLinearizable([w('a', { v: [1, 2] }, 0, 10), r('b', { v: [1, 2] }, 20, 30)]).ok).toBe(true);
  });
});

describe('checkLinearizable: histories that must fail', () => {
  it('rejects the classic stale read after a completed write', () => {
    const result = expectFailure([w('a', 1, 0, 10), w('a', 2, 20, 30), r('b', 1, 40, 50)]);
    expect(result.key).toBe('x');
    expect(result.reason).toContain('key "x" is not linearizable');
    expect(result.reason).toContain('read 1 by "b" [40, 50] cannot be placed');
    expect(result.stuckAt).toEqual(r('b', 1, 40, 50));
    expect(result.longestLinearization).toEqual([w('a', 1, 0, 10), w('a', 2, 20, 30)]);
  });

  it('rejects a stale read of the initial value after a completed write', () => {
    expectFailure([w('a', 1, 0, 10), r('b', undefined, 20, 30)]);
  });

  it('rejects a read of a value never written, saying so', () => {
    const result = expectFailure([w('a', 1, 0, 10), r('b', 42, 20, 30)]);
    expect(result.reason).toBe(
      'key "x": read 42 by "b" [20, 30] returned a value that no write (nor the initial value) could have produced',
    );
  });

  it('rejects a read of a value only a failed write tried to write', () => {
    expectFailure([w('a', 1, 0, 10, false), r('b', 1, 20, 30)]);
  });

  it('rejects concurrent writes whose reads see both orders', () => {
    // c sees 1 then 2; d, later, sees 2 then 1: no single order of the two writes explains both.
    expectFailure([
      w('a', 1, 0, 100),
      w('b', 2, 0, 100),
      r('c', 1, 10, 20),
      r('c', 2, 30, 40),
      r('d', 2, 50, 60),
      r('d', 1, 70, 80),
    ]);
    // Once both writes have completed, the value is settled: it cannot flip.
    expectFailure([w('a', 1, 0, 100), w('b', 2, 0, 100), r('c', 1, 110, 120), r('c', 2, 130, 140)]);
  });

  it('rejects a pending write that was seen and then un-seen', () => {
    expectFailure([w('a', 1, 0, undefined), r('b', 1, 10, 20), r('b', undefined, 30, 40)]);
  });

  it('rejects a pending write seen before it was invoked', () => {
    expectFailure([r('b', 1, 0, 10), w('a', 1, 20, undefined)]);
  });

  it('checks keys independently and names the one that fails', () => {
    const onY = (op: RegisterOperation): RegisterOperation => ({ ...op, key: 'y' });
    const result = expectFailure([
      w('a', 1, 0, 10),
      r('b', 1, 20, 30),
      onY(w('a', 1, 0, 10)),
      onY(r('b', undefined, 20, 30)),
    ]);
    expect(result.key).toBe('y');
  });
});

describe('checkLinearizable: input and limits', () => {
  it('refuses malformed operations with InvalidArgumentError', () => {
    expect(() => checkLinearizable([w('a', 1, 10, 5)])).toThrow(InvalidArgumentError);
    expect(() => checkLinearizable([{ ...w('a', 1, 0, 5), kind: 'cas' as 'write' }])).toThrow(
      InvalidArgumentError,
    );
    expect(() => checkLinearizable([w('a', 1, NaN, 5)])).toThrow(InvalidArgumentError);
  });

  it('answers unknown rather than searching without end when the step budget runs out', () => {
    // Twenty concurrent writes, then reads that see 19 and then 18: impossible, but only a wide search shows it.
    const history = Array.from({ length: 20 }, (_, i) => w(`p${i}`, i, 0, 1000));
    history.push(r('z', 19, 2000, 2010), r('z', 18, 2020, 2030));
    const result = checkLinearizable(history, { maxSteps: 50 });
    expect(result).toMatchObject({ ok: false, verdict: 'unknown', key: 'x' });
    if (!result.ok) expect(result.reason).toContain('gave up after');
  });
});

/**
 * A history from a real sequential register: `processes` clients each run operations one after another, with
 * random durations so that they overlap; each operation takes effect at a random instant inside its interval,
 * and reads return what the register holds at their instant. Some writes fail (not applied), some are left
 * pending (applied or not, and their process stops), some reads are left pending.
 */
function generateHistory(seed: number, count: number, processes = 5, keys = ['x']): RegisterOperation[] {
  const random = createSeededRandom(seed);
  const pick = (n: number) => Math.floor(random.next() * n);
  const free = Array.from({ length: processes }, () => 0);
  const alive = new Set(free.keys());
  const ops: { op: RegisterOperation; at: number; applied: boolean }[] = [];
  let value = 0;
  while (ops.length < count && alive.size > 0) {
    const p = [...alive][pick(alive.size)];
    const invokedAt = free[p] + pick(5);
    const duration = 1 + pick(30);
    const at = invokedAt + random.next() * duration;
    const kind = random.next() < 0.5 ? 'write' : 'read';
    const key = keys[pick(keys.length)];
    const fate = random.next();
    let completedAt: number | undefined = invokedAt + duration;
    let ok = true;
    let applied = true;
    if (kind === 'write' && fate < 0.05) {
      ok = false;
      applied = false;
    } else if (fate > 0.985 && alive.size > 3) {
      completedAt = undefined;
      applied = kind === 'write' && random.next() < 0.5;
      alive.delete(p);
    }
    ops.push({
      op: {
        process: `p${p}`,
        kind,
        key,
        value: kind === 'write' ? ++value : undefined,
        invokedAt,
        completedAt,
        ok,
      },
      at,
      applied,
    });
    free[p] = invokedAt + duration + 1;
  }
  const register = new Map<string | number, unknown>();
  for (const o of [...ops].sort((a, b) => a.at - b.at)) {
    if (o.op.kind === 'write' && o.applied) register.set(o.op.key, o.op.value);
    else if (o.op.kind === 'read') (o.op as { value: unknown }).value = register.get(o.op.key);
  }
  return ops.map((o) => o.op);
}

/**
 * Makes one read stale beyond doubt: it returns the value of a write w1 although another write w2 completed
 * after w1 and before the read was invoked.
 */
function corruptOneRead(history: RegisterOperation[]): RegisterOperation[] {
  const done = (op: RegisterOperation) => op.ok && op.completedAt !== undefined;
  const writes = history.filter((op) => op.kind === 'write' && done(op));
  for (let i = history.length - 1; i >= 0; i--) {
    const read = history[i];
    if (read.kind !== 'read' || !done(read)) continue;
    for (const w2 of writes) {
      if (w2.key !== read.key || !(w2.completedAt! < read.invokedAt)) continue;
      const w1 = writes.find(
        (w1) => w1.key === read.key && w1.completedAt! < w2.invokedAt && w1.value !== read.value,
      );
      if (!w1) continue;
      const copy = [...history];
      copy[i] = { ...read, value: w1.value };
      return copy;
    }
  }
  throw new Error('no read to corrupt');
}

describe('checkLinearizable: generated histories', () => {
  it('accepts a 200-operation history of a real register with overlapping operations', () => {
    const history = generateHistory(1, 200);
    expect(history).toHaveLength(200);
    const concurrent = history.filter((a, i) =>
      history.some(
        (b, j) =>
          i !== j && a.invokedAt <= (b.completedAt ?? Infinity) && b.invokedAt <= (a.completedAt ?? Infinity),
      ),
    );
    expect(concurrent.length).toBeGreaterThan(150);
    expect(checkLinearizable(history)).toEqual({ ok: true });
  });

  it('rejects the same history with one read corrupted', () => {
    const result = checkLinearizable(corruptOneRead(generateHistory(1, 200)));
    expect(result).toMatchObject({ ok: false, verdict: 'not-linearizable', key: 'x' });
  });

  it('accepts, and rejects once corrupted, histories from twenty seeds, some with failed and pending operations', () => {
    let pending = 0;
    let failed = 0;
    for (let seed = 100; seed < 120; seed++) {
      const history = generateHistory(seed, 200, 6, ['x', 'y']);
      pending += history.filter((op) => op.completedAt === undefined).length;
      failed += history.filter((op) => !op.ok).length;
      expect({ seed, result: checkLinearizable(history) }).toEqual({ seed, result: { ok: true } });
      expect(checkLinearizable(corruptOneRead(history)).ok).toBe(false);
    }
    expect(pending).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0);
  });
});

/** Linearizability by brute force: every subset of the pending writes, every order of the operations. */
function bruteForce(history: RegisterOperation[]): boolean {
  const ops = history.filter((op) => (op.completedAt === undefined ? op.kind === 'write' : op.ok));
  const pendingIdx = ops.flatMap((op, i) => (op.completedAt === undefined ? [i] : []));
  for (let mask = 0; mask < 1 << pendingIdx.length; mask++) {
    const chosen = ops.filter(
      (op, i) => op.completedAt !== undefined || (mask & (1 << pendingIdx.indexOf(i))) !== 0,
    );
    if (somePermutation(chosen, [], undefined)) return true;
  }
  return false;
}

function somePermutation(left: RegisterOperation[], placed: RegisterOperation[], value: unknown): boolean {
  if (left.length === 0) return true;
  for (let i = 0; i < left.length; i++) {
    const op = left[i];
    // Nothing still to place may have completed before this one was invoked.
    if (left.some((o, j) => j !== i && o.completedAt !== undefined && o.completedAt < op.invokedAt)) continue;
    if (op.kind === 'read' && op.value !== value) continue;
    const rest = left.filter((_, j) => j !== i);
    if (somePermutation(rest, [...placed, op], op.kind === 'write' ? op.value : value)) return true;
  }
  return false;
}

describe('checkLinearizable: against brute force', () => {
  it('agrees with a brute-force search on 1000 small random histories, valid or not', () => {
    const random = createSeededRandom(2024);
    const pick = (n: number) => Math.floor(random.next() * n);
    let linearizable = 0;
    for (let n = 0; n < 1000; n++) {
      const history: RegisterOperation[] = [];
      const size = 2 + pick(5);
      for (let i = 0; i < size; i++) {
        const invokedAt = pick(20);
        const fate = random.next();
        const completedAt = fate < 0.15 ? undefined : invokedAt + pick(10);
        const kind = random.next() < 0.5 ? 'write' : 'read';
        // Few values, so that reads often have a chance of being right.
        const value = random.next() < 0.2 ? undefined : 1 + pick(3);
        history.push({
          process: `p${i}`,
          kind,
          key: 'x',
          value,
          invokedAt,
          completedAt,
          ok: fate < 0.9 || kind === 'read',
        });
      }
      const expected = bruteForce(history);
      if (expected) linearizable++;
      expect({ history, ok: checkLinearizable(history).ok }).toEqual({ history, ok: expected });
    }
    // Both answers are well represented, or the comparison would prove little.
    expect(linearizable).toBeGreaterThan(200);
    expect(linearizable).toBeLessThan(800);
  });
});
