import { BaseRef } from '@troupe/core';
import { isAsymmetricMatcher } from './describeValue';

/**
 * Structural equality for expected messages and states. Refs are equal when they are the same object or have
 * the same full address (a remote ref to an actor is a different object each time it is decoded). Jest's
 * asymmetric matchers in `expected` are honoured, so `expect.any(Number)` works inside an expected message.
 * Class instances must share a prototype; own enumerable properties are compared, as `toEqual` does.
 */
export function deepEqual(expected: unknown, actual: unknown): boolean {
  return eq(expected, actual, new Map());
}

function eq(a: unknown, b: unknown, seen: Map<object, object>): boolean {
  if (isAsymmetricMatcher(a)) return a.asymmetricMatch(b);
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof BaseRef || b instanceof BaseRef) {
    return a instanceof BaseRef && b instanceof BaseRef && String(a) === String(b);
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  // A pair already under comparison is assumed equal: cycles then compare by shape, not forever.
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  try {
    if (a instanceof Date) return a.getTime() === (b as Date).getTime();
    if (a instanceof RegExp) return String(a) === String(b);
    if (Array.isArray(a)) {
      const bb = b as unknown[];
      if (a.length !== bb.length) return false;
      for (let i = 0; i < a.length; i++) if (!eq(a[i], bb[i], seen)) return false;
      return true;
    }
    if (a instanceof Map) {
      const bm = b as Map<unknown, unknown>;
      if (a.size !== bm.size) return false;
      for (const [k, v] of a) if (!bm.has(k) || !eq(v, bm.get(k), seen)) return false;
      return true;
    }
    if (a instanceof Set) {
      const bs = b as Set<unknown>;
      if (a.size !== bs.size) return false;
      outer: for (const x of a) {
        if (bs.has(x)) continue;
        for (const y of bs) if (eq(x, y, seen)) continue outer;
        return false;
      }
      return true;
    }
    if (a instanceof Error) {
      const be = b as Error;
      if (a.name !== be.name || a.message !== be.message) return false;
    }
    const ak = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const bk = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    if (ak.length !== bk.length) return false;
    for (const k of ak) {
      if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
      if (!eq((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], seen)) return false;
    }
    return true;
  } finally {
    seen.delete(a);
  }
}
