import { NodeProcessError } from './TestKitError';

/**
 * Waits in real time until `check()` holds, polling every 5 ms, and rejects with a `NodeProcessError`
 * (`TESTKIT_ERR_PROCESS_TIMEOUT`) naming `what` once `timeoutMs` have passed. For tests and tools that watch real
 * processes (see {@link NodeProcess}); on virtual time, use a probe or the simulation's `runUntil` instead.
 *
 * @example
 * ```ts
 * await until(() => nodes.some((n) => n.last?.role === 'leader'), 5000, 'a leader');
 * ```
 */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new NodeProcessError('TESTKIT_ERR_PROCESS_TIMEOUT', `${what}: not within ${timeoutMs} ms`, '');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
