/**
 * Base class of remoting errors; `code` is stable (`REMOTE_ERR_*`).
 *
 * @example
 * ```ts
 * node.onEvent((e) => { if (e.type === 'refused-message') console.warn(e.error.code); });
 * ```
 */
export class RemoteError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A message (or a value inside it) has no registered codec, so it cannot leave this node. */
export class UnregisteredMessageError extends RemoteError {
  constructor(readonly what: string) {
    super('REMOTE_ERR_UNREGISTERED', `no codec is registered for ${what}`);
  }
}

/** A message arrived under a manifest this node has no codec for. */
export class UnknownManifestError extends RemoteError {
  constructor(readonly manifest: string) {
    super('REMOTE_ERR_UNKNOWN_MANIFEST', `no codec is registered under manifest ${JSON.stringify(manifest)}`);
  }
}

/** Bytes that are not a valid envelope, or a payload its codec refused. */
export class MalformedMessageError extends RemoteError {
  constructor(detail: string, cause?: unknown) {
    super('REMOTE_ERR_MALFORMED', `malformed message: ${detail}`, { cause });
  }
}

/** A string that is not a Troupe address (`troupe://system@host:port/path`). */
export class InvalidAddressError extends RemoteError {
  constructor(readonly address: string) {
    super('REMOTE_ERR_INVALID_ADDRESS', `invalid actor address ${JSON.stringify(address)}`);
  }
}

/** Two codecs were registered under one manifest. */
export class DuplicateManifestError extends RemoteError {
  constructor(readonly manifest: string) {
    super('REMOTE_ERR_DUPLICATE_MANIFEST', `manifest ${JSON.stringify(manifest)} is already registered`);
  }
}
