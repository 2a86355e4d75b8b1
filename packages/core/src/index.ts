/**
 * `@troupe/core`: actors, typed refs, behaviours, a batching dispatcher, supervision trees, death watch, timers,
 * stash, ask, a local receptionist and an event stream. No I/O, no transport: time and randomness are injected.
 */
export type { ActorRef } from './ActorRef';
export type {
  ActorContext,
  Logger,
  MailboxOptions,
  OverflowStrategy,
  SpawnOptions,
  StashBuffer,
  TimerScheduler,
} from './ActorContext';
export {
  AbstractBehavior,
  Behavior,
  type BehaviorView,
  inspectBehavior,
  empty,
  ignore,
  type Next,
  receive,
  receiveMessage,
  receiveSignal,
  same,
  setup,
  stopped,
  unhandled,
} from './Behavior';
export { PostStop, PreRestart, type Signal, Terminated } from './Signal';
export {
  type BackoffOptions,
  type Decider,
  defaultDecider,
  type Directive,
  type RestartType,
  type StrategyKind,
  SupervisorStrategy,
} from './SupervisorStrategy';
export {
  type ActorSystem,
  type ActorSystemOptions,
  createActorSystem,
  type Executor,
  type RootFailure,
  type SystemStats,
} from './ActorSystem';
export { ask, type AskOptions } from './ask';
export {
  type Listing,
  Receptionist,
  type ReceptionistCommand,
  type Registered,
  ServiceKey,
} from './Receptionist';
export {
  type ActorFailedEvent,
  type ActorRestartedEvent,
  type ActorSpawnedEvent,
  type ActorStoppedEvent,
  type DeadLetterEvent,
  type DeadLetterReason,
  type EventOf,
  EventStream,
  type LogEvent,
  type LogLevel,
  type RootFailureEvent,
  type SupervisionEvent,
  type SystemEvent,
  type SystemEventType,
  type UnhandledMessageEvent,
} from './EventStream';
export {
  type ActorFailedInspection,
  type ActorRestartedInspection,
  type ActorSpawnedInspection,
  type ActorStatus,
  type ActorStoppedInspection,
  type ActorTreeNode,
  type InspectionEvent,
  type InspectionKind,
  type InspectOptions,
  messageTypeOf,
  type MessageReceivedInspection,
} from './Inspection';
export { type Clock, systemClock, type TimerHandle } from './Clock';
export { SimulatedClock } from './SimulatedClock';
export { createSeededRandom, mathRandom, type RandomSource } from './RandomSource';
export {
  ActorError,
  ActorInitializationError,
  ActorNameTakenError,
  AskTimeoutError,
  DeathPactError,
  InvalidActorNameError,
  InvalidArgumentError,
  InvalidBehaviorError,
  RecipientTerminatedError,
  RestartLimitExceededError,
  StashOverflowError,
  StopTimeoutError,
  SystemTerminatedError,
} from './ActorError';

/**
 * The seam for remoting and other ref implementations (like Proto.Actor's `Process`): every ref extends
 * `BaseRef`, takes user messages through `tell` and system messages (watch, unwatch, death notices) through
 * `sendSystem`. Application code never needs these.
 */
export { BaseRef } from './internal/BaseRef';
export { StashBufferImpl as BoundedStashBuffer } from './internal/StashBufferImpl';
export type { InternalRef } from './internal/InternalRef';
export { SysKind, SysMsg } from './internal/SysMsg';
