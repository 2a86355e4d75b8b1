import type { ActorSystem } from '../ActorSystem';
import type { Clock } from '../Clock';
import type { DeadLetterReason, EventStream, LogLevel } from '../EventStream';
import type { RandomSource } from '../RandomSource';
import type { SupervisorStrategy } from '../SupervisorStrategy';
import type { ActorCell } from './ActorCell';
import type { Dispatcher } from './Dispatcher';
import type { Inspector } from './Inspector';

/** @internal What a cell needs of its system. */
export interface SystemInternals {
  readonly name: string;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly events: EventStream;
  readonly dispatcher: Dispatcher;
  readonly defaultStrategy: SupervisorStrategy;
  readonly publicSystem: ActorSystem;
  /** Set only while someone inspects received messages; null otherwise, so the hot path skips it. */
  readonly inspector: Inspector | null;
  nextId(): number;
  checkAlive(): void;
  deadLetter(recipient: string, message: unknown, reason: DeadLetterReason): void;
  writeLog(level: LogLevel, source: string, message: string, data?: unknown): void;
  logEnabled(level: LogLevel): boolean;
  rootFailure(child: ActorCell, error: unknown): void;
  actorSpawned(cell: ActorCell): void;
  actorTerminated(): void;
  guardianTerminated(cell: ActorCell): void;
}
