/** @internal Kinds of internal items that travel in the user queue, in order with user messages. */
export const enum EnvelopeKind {
  /** payload: the message; extra: the timer entry that must still be current. */
  Timer,
  /** payload: the terminated ref; extra: the watch entry that must still be current. */
  Terminated,
  /** A graceful stop: handled after the messages sent before it. */
  Stop,
  /** payload: an error to fail with (a pipeToSelf mapper threw). */
  Fail,
}

/** @internal */
export class Envelope {
  constructor(
    readonly kind: EnvelopeKind,
    readonly payload: unknown,
    readonly extra: unknown,
  ) {}
}
