/** Runs a full GC; cases are always started with --expose-gc, so its absence is a harness bug. */
export function collectGarbage(): void {
  if (!globalThis.gc) throw new Error('run with node --expose-gc');
  globalThis.gc();
}
