import { type ActorRef, type Behavior, receive } from '@troupe/core';
import { isActorRef, messageType, Serialization } from '@troupe/remote';

/** The node processes' singleton: it says which node it runs on and with which fencing token. */
export type Who = { type: 'leader-cli/who'; replyTo: ActorRef<Me> };
export type Me = { type: 'leader-cli/me'; token: number; node: string };

export function whoSerialization(): Serialization {
  return new Serialization()
    .register(messageType<Who>('leader-cli/who', (m) => isActorRef(m.replyTo)))
    .register(
      messageType<Me>('leader-cli/me', (m) => Number.isSafeInteger(m.token) && typeof m.node === 'string'),
    );
}

export const whoAmI =
  (node: string) =>
  (token: number): Behavior<Who> =>
    receive<Who>((_ctx, m) => m.replyTo.tell({ type: 'leader-cli/me', token, node }));
