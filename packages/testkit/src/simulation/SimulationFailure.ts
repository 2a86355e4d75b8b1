import { ActorError } from '@troupe/core';
import { formatRecord, type TraceRecord } from './Trace';

/** How many of the last trace records a {@link SimulationFailure} shows. */
export const FAILURE_TAIL = 30;

/**
 * A simulated run failed: the scenario threw, a property check did not hold, a node's `setup` threw, the
 * framework threw inside a step, or the cluster never let virtual time move. The message carries everything
 * needed to reproduce it: the seed, a one-line replay command and the last trace records.
 *
 * @example
 * ```ts
 * try {
 *   await simulate({ name: 'ping', seed: 7, nodes: 3, setup, serialization }, scenario);
 * } catch (e) {
 *   if (e instanceof SimulationFailure) console.error(e.replayCommand); // npm run sim -- --scenario ping --seed 7
 *   throw e;
 * }
 * ```
 */
export class SimulationFailure extends ActorError {
  constructor(
    readonly seed: number,
    /** The scenario's name in the runner's registry, if the simulation was given one. */
    readonly scenario: string | undefined,
    /** Virtual time (the shared clock) when it failed. */
    readonly at: number,
    /** The last records of the trace, oldest first. */
    readonly lastEvents: ReadonlyArray<TraceRecord>,
    /** sha256 of the whole trace up to the failure: two failing runs with the same hash failed the same way. */
    readonly traceHash: string,
    cause: unknown,
  ) {
    super('SIM_ERR_FAILED', formatFailure(seed, scenario, at, lastEvents, cause), { cause });
  }

  /** The command that replays this run: `npm run sim -- --scenario <name> --seed <seed>`. */
  get replayCommand(): string {
    return replayCommand(this.scenario, this.seed);
  }
}

/**
 * A property of the run did not hold; thrown by `sim.check`, and turned into a {@link SimulationFailure} by
 * `simulate`.
 *
 * @example
 * ```ts
 * sim.check(answers.every((a) => a.from === a.to), 'an answer came from the wrong node');
 * ```
 */
export class PropertyViolation extends ActorError {
  constructor(
    message: string,
    /** Whatever the check wants shown: the offending operations, counts... */
    readonly details?: unknown,
  ) {
    super('SIM_ERR_PROPERTY', details === undefined ? message : `${message}\n${describe(details)}`);
  }
}

/**
 * The cluster kept running steps without virtual time ever moving: some actors (or the scenario) keep each
 * other busy at one instant forever, as two actors telling each other a message for every message. Found as
 * the `cause` of a {@link SimulationFailure}.
 *
 * @example
 * ```ts
 * await expect(simulate(options, (sim) => sim.run(1000))).rejects.toMatchObject({
 *   cause: expect.objectContaining({ code: 'SIM_ERR_LIVELOCK' }),
 * });
 * ```
 */
export class LivelockError extends ActorError {
  constructor(
    readonly steps: number,
    readonly at: number,
  ) {
    super(
      'SIM_ERR_LIVELOCK',
      `${steps} steps ran at virtual time ${at} without time moving (actors telling each other in a loop, ` +
        `with no network latency in between?)`,
    );
  }
}

/**
 * `simulate` or a `Simulation` was used in a way it cannot honour (bad options, a node name that does not
 * exist, two runs at once, driving a finished simulation). Thrown as is, never wrapped in a
 * {@link SimulationFailure}: nothing about the seed is to blame.
 *
 * @example
 * ```ts
 * await expect(simulate({ ...options, nodes: 0 }, scenario)).rejects.toBeInstanceOf(SimulationUsageError);
 * ```
 */
export class SimulationUsageError extends ActorError {
  constructor(message: string) {
    super('SIM_ERR_USAGE', message);
  }
}

/**
 * The one-line command that replays a seed of a registered scenario.
 *
 * @example
 * ```ts
 * replayCommand('ping', 42); // 'npm run sim -- --scenario ping --seed 42'
 * ```
 */
export function replayCommand(scenario: string | undefined, seed: number): string {
  return `npm run sim -- --scenario ${scenario ?? '<name>'} --seed ${seed}`;
}

function formatFailure(
  seed: number,
  scenario: string | undefined,
  at: number,
  lastEvents: ReadonlyArray<TraceRecord>,
  cause: unknown,
): string {
  const what = scenario === undefined ? 'simulation' : `simulation '${scenario}'`;
  const lines = [
    `${what} failed with seed ${seed} at virtual time ${at} ms: ${describeError(cause)}`,
    `replay: ${replayCommand(scenario, seed)}`,
    `last ${lastEvents.length} trace events:`,
  ];
  for (const record of lastEvents) lines.push(`  ${formatRecord(record)}`);
  return lines.join('\n');
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`;
  }
  return describe(error);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}
