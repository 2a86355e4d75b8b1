import { receiveMessage } from '@troupe/core';
import {
  createTestInbox,
  installMatchers,
  type RegisterOperation,
  type TestKit,
  TestKitUsageError,
  useTestKit,
} from '@troupe/testkit';

installMatchers(expect);

/** The message Jest would print for a failed assertion. */
function failureOf(assertion: () => void): string {
  try {
    assertion();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the assertion passed');
}

describe('toHaveReceived', () => {
  const kit = useTestKit();

  it('passes when some message received so far matches a value or a predicate, taken or not', async () => {
    const probe = kit().createProbe<{ n: number }>();
    probe.ref.tell({ n: 1 });
    probe.ref.tell({ n: 2 });
    await probe.expectMessage({ n: 1 });
    await kit().runUntilIdle();
    expect(probe).toHaveReceived({ n: 1 });
    expect(probe).toHaveReceived((m: { n: number }) => m.n === 2);
    expect(probe).not.toHaveReceived({ n: 3 });
  });

  it('fails readably, listing what was received', async () => {
    const probe = kit().createProbe<string>('watcher');
    kit()
      .system.spawn(receiveMessage<string>((m) => probe.ref.tell(`echo ${m}`)))
      .tell('hi');
    await kit().runUntilIdle();
    expect(failureOf(() => expect(probe).toHaveReceived('bye'))).toBe(
      'expected probe /user/watcher to have received a message equal to "bye", but it did not. ' +
        'It received (1):\n  t=0  "echo hi"',
    );
    expect(failureOf(() => expect(probe).not.toHaveReceived('echo hi'))).toBe(
      'expected probe /user/watcher not to have received a message equal to "echo hi", but it did at t=0: "echo hi"',
    );
  });

  it('works on inboxes too, and says what it needs when given something else', () => {
    const inbox = createTestInbox<number>('numbers');
    inbox.ref.tell(5);
    expect(inbox).toHaveReceived(5);
    expect(failureOf(() => expect(42).toHaveReceived(5))).toBe(
      'toHaveReceived expects a TestProbe or a TestInbox, got 42',
    );
  });
});

describe('history matchers', () => {
  const op = (
    kind: 'read' | 'write',
    value: number,
    invokedAt: number,
    completedAt: number,
  ): RegisterOperation => ({
    process: kind === 'write' ? 'writer' : 'reader',
    kind,
    key: 'k',
    value,
    invokedAt,
    completedAt,
    ok: true,
  });

  it('toBeLinearizable passes a valid history and fails a stale read with the checker’s reason', () => {
    expect([op('write', 1, 0, 10), op('read', 1, 20, 30)]).toBeLinearizable();
    const stale = [op('write', 1, 0, 10), op('write', 2, 20, 30), op('read', 1, 40, 50)];
    expect(stale).not.toBeLinearizable();
    expect(failureOf(() => expect(stale).toBeLinearizable())).toMatch(
      /^expected the history to be linearizable, but key "k" is not linearizable: .*read 1 by "reader" \[40, 50\] cannot be placed$/,
    );
  });

  it('toBeLinearizable says when it could not decide', () => {
    const wide = Array.from({ length: 16 }, (_, i) => op('write', i, 0, 100));
    wide.push(op('read', 15, 200, 210), op('read', 14, 220, 230));
    expect(failureOf(() => expect(wide).toBeLinearizable({ maxSteps: 10 }))).toMatch(
      /^could not decide whether the history is linearizable: key "k": gave up after/,
    );
  });

  it('toHaveAtMostOneLeaderPerTerm names the term and the nodes', () => {
    expect([{ node: 'a', term: 1, role: 'leader', at: 0 }]).toHaveAtMostOneLeaderPerTerm();
    const split = [
      { node: 'a', term: 1, role: 'leader', at: 0 },
      { node: 'b', term: 1, role: 'leader', at: 5 },
    ];
    expect(failureOf(() => expect(split).toHaveAtMostOneLeaderPerTerm())).toBe(
      'expected at most one leader per term, but there were two leaders in term 1: "a" (seen at t=0) and "b" (seen at t=5)',
    );
  });

  it('toHaveConverged lists the nodes that differ', () => {
    expect(
      new Map([
        ['a', [1]],
        ['b', [1]],
      ]),
    ).toHaveConverged();
    expect(failureOf(() => expect({ a: [1], b: [1], c: [2] }).toHaveConverged())).toBe(
      'expected every node to hold the same state, but 1 of 3 nodes differ (c): "a", "b" have [1]; "c" has [2]',
    );
  });
});

describe('useTestKit', () => {
  const kit = useTestKit({ name: 'scoped' });
  let outsideATest: unknown;
  try {
    kit();
  } catch (e) {
    outsideATest = e;
  }
  const seen: TestKit[] = [];

  it('creates a kit for each test, with the options given', () => {
    expect(kit().system.name).toBe('scoped');
    seen.push(kit());
  });

  it('shuts the previous test’s kit down and gives a fresh one', () => {
    expect(seen[0].system.isTerminated).toBe(true);
    expect(kit()).not.toBe(seen[0]);
    expect(kit().system.isTerminated).toBe(false);
  });

  it('refuses to hand out a kit outside a test, with TestKitUsageError', () => {
    expect(outsideATest).toBeInstanceOf(TestKitUsageError);
    expect(outsideATest).toMatchObject({ code: 'TESTKIT_ERR_USAGE' });
  });

  it('refuses to run without a test runner’s hooks', () => {
    const g = globalThis as { beforeEach?: unknown };
    const saved = g.beforeEach;
    g.beforeEach = undefined;
    try {
      expect(() => useTestKit()).toThrow(TestKitUsageError);
    } finally {
      g.beforeEach = saved;
    }
  });
});
