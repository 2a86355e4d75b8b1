/**
 * The scenarios `npm run sim` knows, by name. Each takes a seed, runs `simulate` with its own options and
 * checks its properties: it resolves (with a report) when they hold and rejects with a `SimulationFailure`
 * when they do not. Add yours here to replay and sweep it from the command line.
 */
import { pingScenario, watchScenario } from '../src/simulation';

export type ScenarioRunner = (seed: number) => Promise<unknown>;

export const scenarios: Readonly<Record<string, ScenarioRunner>> = {
  /** Five nodes asking and telling each other under a random nemesis: answers are right or time out. */
  ping: (seed) => pingScenario(seed),
  /** Remote death watch under crash-and-restart: every watcher of a crashed node's actor hears exactly once. */
  watch: (seed) => watchScenario(seed),
};
