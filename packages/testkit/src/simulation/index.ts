/**
 * Deterministic cluster simulation: many nodes of an application in one process, on virtual time, with one
 * seeded scheduler choosing every step and a nemesis (partitions, faults, crashes, clock skew) drawn from the
 * same seed. Same seed, same run.
 */
export {
  simulate,
  type SimNode,
  type SimRemotingOptions,
  type Simulation,
  type SimulationOptions,
  type SimulationStats,
} from './simulate';
export {
  describeAction,
  type NemesisAction,
  type NemesisEvent,
  type NemesisKind,
  type NemesisSchedule,
  randomNemesis,
  type RandomNemesisOptions,
} from './nemesis';
export {
  LivelockError,
  PropertyViolation,
  replayCommand,
  SimulationFailure,
  SimulationUsageError,
} from './SimulationFailure';
export { formatRecord, serializeRecord, type TraceRecord } from './Trace';
export {
  type SweepFailure,
  type SweepOptions,
  type SweepProgress,
  type SweepResult,
  sweepSeeds,
} from './sweep';
export {
  type AskRecord,
  pingScenario,
  type PingReport,
  type PingScenarioOptions,
  pingSerialization,
} from './scenarios/ping';
export { watchScenario, type WatchReport, type WatchScenarioOptions } from './scenarios/watch';
