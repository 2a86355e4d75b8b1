/**
 * Base class of the demo's errors; `code` is stable (`DEMO_ERR_*`).
 *
 * @example
 * ```ts
 * try { await demo.cluster.kill(7); } catch (e) { if (e instanceof DemoError) console.log(e.code); }
 * ```
 */
export class DemoError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An action the dashboard asked for makes no sense now: no such node, node not running, bad key. */
export class InvalidActionError extends DemoError {
  constructor(detail: string) {
    super('DEMO_ERR_INVALID_ACTION', detail);
  }
}
