import type { ActorRef } from '@troupe/core';
import { isActorRef, messageType, Serialization } from '../src';

/** The echo examples' protocol: what both sides register. */
export type EchoRequest = { type: 'echo/request'; text: string; replyTo: ActorRef<EchoReply> };
export type EchoReply = { type: 'echo/reply'; text: string; node: string };

export const echoSerialization = (): Serialization =>
  new Serialization()
    .register(
      messageType<EchoRequest>(
        'echo/request',
        (m) => typeof m.text === 'string' && m.text.length <= 10_000 && isActorRef(m.replyTo),
      ),
    )
    .register(
      messageType<EchoReply>('echo/reply', (m) => typeof m.text === 'string' && typeof m.node === 'string'),
    );

/** `--name value` pairs from the command line. */
export function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[a.slice(2)] = 'true';
    else out[a.slice(2)] = argv[++i];
  }
  return out;
}
