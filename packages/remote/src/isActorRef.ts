import { type ActorRef, BaseRef } from '@troupe/core';

/**
 * Whether a decoded value is an actor ref: use it in codecs' validation.
 *
 * @example
 * ```ts
 * messageType<Ping>('ping', (m) => isActorRef(m.replyTo));
 * ```
 */
export function isActorRef(value: unknown): value is ActorRef<never> {
  return value instanceof BaseRef;
}
