import { SimulatedClock } from '@troupe/core';
import { compareTimestamps, HybridLogicalClock, isTimestamp, maxTimestamp, type Timestamp } from '../src';

describe('the hybrid logical clock', () => {
  it('follows the physical clock when it moves', () => {
    const clock = new SimulatedClock(1000);
    const hlc = new HybridLogicalClock(clock, 'a');
    expect(hlc.now()).toEqual([1000, 0, 'a']);
    clock.advance(5);
    expect(hlc.now()).toEqual([1005, 0, 'a']);
  });

  it('counts up within one millisecond and never goes backwards when the physical clock does', () => {
    const hlc = new HybridLogicalClock({ now: () => times.shift()! }, 'a');
    const times = [100, 100, 90, 101];
    const issued = [hlc.now(), hlc.now(), hlc.now(), hlc.now()];
    expect(issued).toEqual([
      [100, 0, 'a'],
      [100, 1, 'a'],
      [100, 2, 'a'],
      [101, 0, 'a'],
    ]);
    for (let i = 1; i < issued.length; i++)
      expect(compareTimestamps(issued[i - 1], issued[i])).toBeLessThan(0);
  });

  it('issues timestamps above one observed from a node whose clock runs ahead', () => {
    const behind = new HybridLogicalClock(new SimulatedClock(1000), 'slow');
    const ahead: Timestamp = [5000, 3, 'fast'];
    behind.observe(ahead);
    const next = behind.now();
    expect(compareTimestamps(next, ahead)).toBeGreaterThan(0);
    expect(next).toEqual([5000, 4, 'slow']);
  });

  it('orders by wall time, then logical counter, then node id', () => {
    expect(compareTimestamps([1, 9, 'z'], [2, 0, 'a'])).toBeLessThan(0);
    expect(compareTimestamps([2, 0, 'z'], [2, 1, 'a'])).toBeLessThan(0);
    expect(compareTimestamps([2, 1, 'a'], [2, 1, 'b'])).toBeLessThan(0);
    expect(compareTimestamps([2, 1, 'b'], [2, 1, 'b'])).toBe(0);
    expect(maxTimestamp(undefined, [1, 0, 'a'])).toEqual([1, 0, 'a']);
    expect(maxTimestamp([3, 0, 'a'], [2, 5, 'b'])).toEqual([3, 0, 'a']);
  });

  it('recognises well-formed timestamps only', () => {
    expect(isTimestamp([1, 0, 'a'])).toBe(true);
    expect(isTimestamp([1, -1, 'a'])).toBe(false);
    expect(isTimestamp([1.5, 0, 'a'])).toBe(false);
    expect(isTimestamp([1, 0])).toBe(false);
    expect(isTimestamp('1.0.a')).toBe(false);
  });
});
