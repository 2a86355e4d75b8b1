/**
 * `@troupe/testkit`: testing Troupe actors without real waiting. A system on virtual time with a manual
 * executor (`createTestKit`), probes whose expectations wait on that time (`TestProbe`), a synchronous
 * single-behaviour kit that records effects (`testBehavior`), recorder refs (`TestInbox`), Jest matchers and
 * lifecycle (`installMatchers`, `useTestKit`), and checkers for histories of distributed runs
 * (`checkLinearizable`, `checkOneLeaderPerTerm`, `checkConverged`), and real child processes that report in JSON
 * lines (`NodeProcess`, `freePorts`).
 */
export { createTestKit, type TestKit, type TestKitOptions } from './createTestKit';
export { TestProbe } from './TestProbe';
export { createTestInbox, TestInbox, type TestInboxOptions } from './TestInbox';
export {
  BehaviorTestKit,
  type BehaviorTestKitOptions,
  testBehavior,
  testBehaviorAsync,
} from './BehaviorTestKit';
export type {
  Effect,
  LogEntry,
  PipedToSelfEffect,
  SpawnedChild,
  SpawnedEffect,
  StoppedChildEffect,
  StoppedSelfEffect,
  SupervisorStrategySetEffect,
  TimerCancelledEffect,
  TimerInfo,
  TimerMode,
  TimerScheduledEffect,
  UnwatchedEffect,
  WatchedEffect,
} from './Effect';
export {
  ExpectationFailedError,
  NodeProcessError,
  NotIdleError,
  type ReceivedMessage,
  TestKitUsageError,
} from './TestKitError';
export { type ExpectWithExtend, installMatchers } from './installMatchers';
export { useTestKit } from './useTestKit';
export {
  checkLinearizable,
  type LinearizabilityOptions,
  type LinearizabilityResult,
  type RegisterOperation,
} from './checkLinearizable';
export { checkOneLeaderPerTerm, type LeaderCheckResult, type RoleObservation } from './checkOneLeaderPerTerm';
export { checkConverged, type ConvergenceResult, type StateGroup } from './checkConverged';

export { NodeProcess, type NodeProcessOptions } from './NodeProcess';
export { freePorts } from './freePorts';
export { until } from './until';

export * from './simulation';
