// Child-process entry: measures one scenario for one contender on a fresh heap and prints
// the result on stdout.
import { loadContender } from './load-contender.js';
import { RESULT_PREFIX } from './measurement.js';
import { findScenario } from './scenarios.js';

async function main(): Promise<void> {
  const [scenarioName, contenderName] = process.argv.slice(2);
  const scenario = findScenario(scenarioName);
  const contender = await loadContender(contenderName);
  const measurement = await scenario.measure(contender);
  // Exit explicitly: some runtimes keep timers alive after their system is stopped.
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(measurement)}\n`, () => process.exit(0));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
