import { describe, expect, it } from '@jest/globals';
import { NodeProcessError, until } from '../src';

describe('until', () => {
  it('resolves once the condition holds', async () => {
    let polls = 0;
    await until(() => ++polls >= 3, 1000, 'three polls');
    expect(polls).toBe(3);
  });

  it('rejects with a process timeout naming what it waited for when the condition never holds', async () => {
    const waiting = until(() => false, 20, 'a leader');
    await expect(waiting).rejects.toBeInstanceOf(NodeProcessError);
    await expect(waiting).rejects.toMatchObject({ code: 'TESTKIT_ERR_PROCESS_TIMEOUT' });
  });
});
