import { isActorRef, messageType, Serialization } from '@troupe/remote';
import type { BenchAck, BenchMsg, BenchReply, BenchReq, BenchStart } from './protocol.js';

const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

/** The registry both Troupe nodes use, with validators of the kind an application should write. */
export function benchSerialization(): Serialization {
  return new Serialization()
    .register(messageType<BenchMsg>('bench/msg', (m) => isCount(m.n) && typeof m.payload === 'string'))
    .register(messageType<BenchStart>('bench/start', (m) => isCount(m.total) && isActorRef(m.replyTo)))
    .register(messageType<BenchAck>('bench/ack', (m) => isCount(m.count)))
    .register(
      messageType<BenchReq>(
        'bench/req',
        (m) => isCount(m.n) && typeof m.payload === 'string' && isActorRef(m.replyTo),
      ),
    )
    .register(messageType<BenchReply>('bench/reply', (m) => isCount(m.n)));
}
