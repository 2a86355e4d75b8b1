/**
 * Base class of every error the cache raises. `code` is stable and machine-readable (`CACHE_ERR_*`): match on
 * it or on the class, never on the message text.
 *
 * @example
 * ```ts
 * try { await cache.client.put('k', 1, { consistency: 'all' }); }
 * catch (e) { if (e instanceof CacheError && e.code === 'CACHE_ERR_CONSISTENCY_UNAVAILABLE') retryLater(); }
 * ```
 */
export class CacheError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * Fewer replicas answered than the requested consistency needs, within the timeout (or too few were up to
 * start with). A write that failed this way may still have taken effect on some replicas: its outcome is unknown.
 */
export class ConsistencyUnavailableError extends CacheError {
  constructor(
    readonly consistency: string,
    readonly reason: string,
  ) {
    super('CACHE_ERR_CONSISTENCY_UNAVAILABLE', `consistency ${consistency} cannot be met: ${reason}`);
  }
}

/** A key longer than `maxKeyLength`. */
export class KeyTooLongError extends CacheError {
  constructor(
    readonly length: number,
    readonly maxLength: number,
  ) {
    super('CACHE_ERR_KEY_TOO_LONG', `key of ${length} characters, at most ${maxLength} allowed`);
  }
}

/** An empty key, or one that is not a string. */
export class InvalidKeyError extends CacheError {
  constructor(readonly detail: string) {
    super('CACHE_ERR_INVALID_KEY', `invalid key: ${detail}`);
  }
}

/** A value whose JSON is larger than `maxValueBytes`. */
export class ValueTooLargeError extends CacheError {
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super('CACHE_ERR_VALUE_TOO_LARGE', `value of ${bytes} bytes, at most ${maxBytes} allowed`);
  }
}

/** A value that has no JSON form (`undefined`, a function, a cycle, a BigInt). */
export class InvalidValueError extends CacheError {
  constructor(readonly detail: string) {
    super('CACHE_ERR_INVALID_VALUE', `invalid value: ${detail}`);
  }
}

/** A request body that is not JSON (HTTP API). */
export class InvalidJsonError extends CacheError {
  constructor(readonly detail: string) {
    super('CACHE_ERR_INVALID_JSON', `request body is not JSON: ${detail}`);
  }
}

/** A consistency level other than `one`, `quorum` or `all`. */
export class InvalidConsistencyError extends CacheError {
  constructor(readonly given: unknown) {
    super(
      'CACHE_ERR_INVALID_CONSISTENCY',
      `unknown consistency ${JSON.stringify(given)}: one, quorum or all`,
    );
  }
}

/** A TTL or timeout that is not a positive integer number of milliseconds. */
export class InvalidOptionError extends CacheError {
  constructor(
    readonly option: string,
    readonly given: unknown,
  ) {
    super('CACHE_ERR_INVALID_OPTION', `${option} must be a positive integer (ms), got ${String(given)}`);
  }
}

/** A setting out of range in `startCache`. */
export class InvalidCacheSettingsError extends CacheError {
  constructor(readonly detail: string) {
    super('CACHE_ERR_INVALID_SETTINGS', `invalid cache settings: ${detail}`);
  }
}

/** The coordinator did not answer within the request's timeout (it is down, or unreachable). */
export class CacheTimeoutError extends CacheError {
  constructor(
    readonly coordinator: string,
    readonly timeoutMs: number,
  ) {
    super('CACHE_ERR_TIMEOUT', `no answer from ${coordinator} within ${timeoutMs} ms`);
  }
}

/** The cache node has been stopped. */
export class CacheStoppedError extends CacheError {
  constructor(readonly address: string) {
    super('CACHE_ERR_STOPPED', `the cache on ${address} has stopped`);
  }
}

/** Rebuilds the typed error a coordinator reported by code (the reason travels as text). */
export function errorFromCode(code: string, reason: string, consistency: string): CacheError {
  switch (code) {
    case 'CACHE_ERR_CONSISTENCY_UNAVAILABLE':
      return new ConsistencyUnavailableError(consistency, reason);
    case 'CACHE_ERR_VALUE_TOO_LARGE': {
      const [bytes, max] = reason.split('/').map(Number);
      return new ValueTooLargeError(bytes, max);
    }
    case 'CACHE_ERR_KEY_TOO_LONG': {
      const [length, max] = reason.split('/').map(Number);
      return new KeyTooLongError(length, max);
    }
    case 'CACHE_ERR_INVALID_KEY':
      return new InvalidKeyError(reason);
    case 'CACHE_ERR_INVALID_VALUE':
      return new InvalidValueError(reason);
    case 'CACHE_ERR_INVALID_CONSISTENCY':
      return new InvalidConsistencyError(reason);
    case 'CACHE_ERR_INVALID_OPTION':
      return new InvalidOptionError('option', reason);
    case 'CACHE_ERR_STOPPED':
      return new CacheStoppedError(reason);
    default:
      return new CacheError(code, reason);
  }
}
