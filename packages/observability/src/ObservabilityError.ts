/**
 * Raised by `@troupe/observability` for bad options or a metrics server that cannot start. `code` is stable:
 * match on it (or the class), never on the message text.
 *
 * | code                     | when                                                          |
 * | ------------------------ | ------------------------------------------------------------- |
 * | `OBS_ERR_INVALID_OPTION` | an option is missing or out of range (a label name, top-N...) |
 * | `OBS_ERR_LISTEN`         | `serveMetrics` could not listen (port taken, bad host)        |
 *
 * @example
 * ```ts
 * try { createNodeMetrics({ system, labels: { node: '' } }); }
 * catch (e) { if (e instanceof ObservabilityError && e.code === 'OBS_ERR_INVALID_OPTION') usage(); }
 * ```
 */
export class ObservabilityError extends Error {
  constructor(
    readonly code: 'OBS_ERR_INVALID_OPTION' | 'OBS_ERR_LISTEN',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
