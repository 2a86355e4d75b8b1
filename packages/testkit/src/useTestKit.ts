import { createTestKit, type TestKit, type TestKitOptions } from './createTestKit';
import { TestKitUsageError } from './TestKitError';

type Hook = (fn: () => unknown) => void;

/**
 * A fresh {@link TestKit} for every test of the enclosing `describe` (or file): created in `beforeEach`, shut
 * down in `afterEach`, so no system outlives its test. Returns a getter, since the kit only exists while a test
 * runs. Uses Jest's global hooks.
 *
 * @example
 * ```ts
 * describe('pinger', () => {
 *   const kit = useTestKit({ seed: 7 });
 *   it('answers', async () => {
 *     const probe = kit().createProbe<string>();
 *     kit().system.spawn(pinger(probe.ref));
 *     await probe.expectMessage('pong');
 *   });
 * });
 * ```
 */
export function useTestKit(options?: TestKitOptions): () => TestKit {
  const hooks = globalThis as { beforeEach?: Hook; afterEach?: Hook };
  if (typeof hooks.beforeEach !== 'function' || typeof hooks.afterEach !== 'function') {
    throw new TestKitUsageError(
      'useTestKit needs the beforeEach and afterEach globals of a test runner such as Jest; outside one, use createTestKit and shutdown',
    );
  }
  let kit: TestKit | undefined;
  hooks.beforeEach(() => {
    kit = createTestKit(options);
  });
  hooks.afterEach(async () => {
    const done = kit;
    kit = undefined;
    await done?.shutdown();
  });
  return () => {
    if (!kit) {
      throw new TestKitUsageError(
        'the kit from useTestKit exists only while a test runs (between beforeEach and afterEach)',
      );
    }
    return kit;
  };
}
