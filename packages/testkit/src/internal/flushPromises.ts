import { setImmediate as realSetImmediate } from 'node:timers';

/**
 * Lets every promise callback already queued run, and those they queue in turn: a `setImmediate` callback
 * runs only once the microtask queue is empty. Taken from `node:timers` rather than the global so that a test
 * that installs Jest's fake timers does not freeze the kit (fake timers replace the global only).
 */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}
