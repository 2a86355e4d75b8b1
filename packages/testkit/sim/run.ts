/**
 * `npm run sim -- --scenario ping --seed 42` replays one seed; `npm run sim -- --scenario ping --seeds 1000`
 * sweeps a thousand. See `cli.ts` for the options and `scenarios.ts` for the scenarios.
 */
import { runCli } from './cli';
import { scenarios } from './scenarios';

void runCli(process.argv.slice(2), scenarios, {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  errIsTTY: process.stderr.isTTY === true,
}).then(
  (code) => {
    // exitCode rather than exit(): output still being written to a pipe is not cut off.
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
