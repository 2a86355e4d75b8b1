/**
 * Base class of every error Troupe's core raises. `code` is stable and machine-readable: match on it (or on the
 * class), never on the message text.
 *
 * @example
 * ```ts
 * try { await ask(ref, (replyTo) => ({ replyTo }), { timeoutMs: 100 }); }
 * catch (e) { if (e instanceof ActorError && e.code === 'ACTOR_ERR_ASK_TIMEOUT') retry(); }
 * ```
 */
export class ActorError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An `ask` got no reply within its timeout. */
export class AskTimeoutError extends ActorError {
  constructor(
    readonly target: string,
    readonly timeoutMs: number,
  ) {
    super('ACTOR_ERR_ASK_TIMEOUT', `ask to ${target} got no reply within ${timeoutMs} ms`);
  }
}

/** An `ask` was made of an actor that had already terminated, so no reply can ever come. */
export class RecipientTerminatedError extends ActorError {
  constructor(readonly target: string) {
    super('ACTOR_ERR_RECIPIENT_TERMINATED', `${target} had already terminated`);
  }
}

/** A stash buffer is full; thrown inside the handler, so it is a failure that supervision handles. */
export class StashOverflowError extends ActorError {
  constructor(
    readonly path: string,
    readonly capacity: number,
  ) {
    super('ACTOR_ERR_STASH_OVERFLOW', `stash of ${path} is full (capacity ${capacity})`);
  }
}

/** A watched actor terminated and the watcher did not handle the `Terminated` signal. */
export class DeathPactError extends ActorError {
  constructor(readonly terminated: string) {
    super('ACTOR_ERR_DEATH_PACT', `unhandled Terminated for ${terminated}`);
  }
}

/** A supervisor restarted its children more often than its budget allows, so it fails itself. */
export class RestartLimitExceededError extends ActorError {
  constructor(
    readonly supervisor: string,
    readonly maxRestarts: number,
    readonly withinMs: number,
    cause: unknown,
  ) {
    super(
      'ACTOR_ERR_RESTART_LIMIT',
      `${supervisor} exceeded its restart budget of ${maxRestarts} within ${withinMs} ms`,
      { cause },
    );
  }
}

/** The behaviour's `setup` threw (or its promise rejected): the actor could not start. */
export class ActorInitializationError extends ActorError {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super('ACTOR_ERR_INIT', `${path} failed during setup: ${describe(cause)}`, { cause });
  }
}

/** An actor name is empty, too long, uses a reserved prefix or a character outside the allowed set. */
export class InvalidActorNameError extends ActorError {
  constructor(readonly actorName: string) {
    super('ACTOR_ERR_INVALID_NAME', `invalid actor name ${JSON.stringify(actorName)}`);
  }
}

/** A live sibling already has this name. */
export class ActorNameTakenError extends ActorError {
  constructor(readonly path: string) {
    super('ACTOR_ERR_NAME_TAKEN', `an actor named ${path} already exists`);
  }
}

/** An argument to the API was out of range or of the wrong kind. */
export class InvalidArgumentError extends ActorError {
  constructor(message: string) {
    super('ACTOR_ERR_INVALID_ARGUMENT', message);
  }
}

/** The actor system has terminated (or is terminating) and cannot do what was asked. */
export class SystemTerminatedError extends ActorError {
  constructor(readonly system: string) {
    super('ACTOR_ERR_SYSTEM_TERMINATED', `actor system ${system} has terminated`);
  }
}

/** `gracefulStop` did not see the actor stop within its timeout; the actor was then stopped by force. */
export class StopTimeoutError extends ActorError {
  constructor(
    readonly path: string,
    readonly timeoutMs: number,
  ) {
    super('ACTOR_ERR_STOP_TIMEOUT', `${path} did not stop within ${timeoutMs} ms and was stopped by force`);
  }
}

/** A behaviour was used where it cannot be (for example `same` as an initial behaviour). */
export class InvalidBehaviorError extends ActorError {
  constructor(message: string) {
    super('ACTOR_ERR_INVALID_BEHAVIOR', message);
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
