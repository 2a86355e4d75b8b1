import { replayCommand, SimulationFailure, sweepSeeds, type SweepProgress } from '../src/simulation';
import type { ScenarioRunner } from './scenarios';

/** Where the runner writes; a test passes its own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether standard error is a terminal: a progress bar redraws in place only there. */
  readonly errIsTTY: boolean;
}

export const USAGE = `usage:
  npm run sim -- --scenario NAME --seed N               replay one seed (exit 1 if it fails)
  npm run sim -- --scenario NAME --seeds COUNT [--from S]  sweep COUNT seeds from S (default 1)
  npm run sim -- --list                                  list the scenarios`;

/** Failed seeds listed with their reason and replay command; the rest only by number. */
const MAX_LISTED = 20;

interface Args {
  scenario?: string;
  seed?: number;
  seeds?: number;
  from?: number;
  list: boolean;
  help: boolean;
}

/** Parses `--name value` and `--name=value` arguments; throws with a message for anything else. */
export function parseArgs(argv: readonly string[]): Args {
  const args: Args = { list: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    const integer = (): number => {
      const v = value();
      const n = Number(v);
      if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n))
        throw new Error(`${flag} needs an integer, got ${v}`);
      return n;
    };
    switch (flag) {
      case '--scenario':
        args.scenario = value();
        break;
      case '--seed':
        args.seed = integer();
        break;
      case '--seeds':
        args.seeds = integer();
        if (args.seeds < 1) throw new Error('--seeds needs a count >= 1');
        break;
      case '--from':
        args.from = integer();
        break;
      case '--list':
        args.list = true;
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return args;
}

/** `[#########.....................] 412/1000 seeds, 0 failed, 37 seeds/s` */
export function progressLine(
  p: Pick<SweepProgress, 'done' | 'total' | 'failed' | 'seedsPerSecond'>,
  width = 30,
): string {
  const filled = p.total > 0 ? Math.round((p.done / p.total) * width) : width;
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  const rate = p.seedsPerSecond >= 10 ? Math.round(p.seedsPerSecond) : p.seedsPerSecond.toFixed(1);
  return `[${bar}] ${p.done}/${p.total} seeds, ${p.failed} failed, ${rate} seeds/s`;
}

/**
 * The runner behind `npm run sim`: replays one seed of a scenario, or sweeps many. Returns the exit code: 0 when
 * everything passed, 1 when a seed failed, 2 when the arguments were wrong.
 */
export async function runCli(
  argv: readonly string[],
  registry: Readonly<Record<string, ScenarioRunner>>,
  io: CliIo,
): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const names = Object.keys(registry);
  if (args.help) {
    io.out(`${USAGE}\nscenarios: ${names.join(', ')}\n`);
    return 0;
  }
  if (args.list) {
    io.out(names.join('\n') + '\n');
    return 0;
  }
  if (args.scenario === undefined || (args.seed === undefined) === (args.seeds === undefined)) {
    io.err(`give --scenario and exactly one of --seed or --seeds\n${USAGE}\n`);
    return 2;
  }
  const name = args.scenario;
  if (!Object.hasOwn(registry, name)) {
    io.err(`no scenario named ${JSON.stringify(name)}; scenarios: ${names.join(', ')}\n`);
    return 2;
  }
  const scenario = failingOnUnhandledRejections(registry[name]);
  if (args.seed !== undefined) return replayOne(name, scenario, args.seed, io);
  return sweep(name, scenario, args.from ?? 1, args.seeds!, io);
}

async function replayOne(name: string, scenario: ScenarioRunner, seed: number, io: CliIo): Promise<number> {
  const started = performance.now();
  try {
    const report = await scenario(seed);
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    io.out(`scenario ${name}, seed ${seed}: passed in ${seconds} s\n`);
    if (report !== undefined) io.out(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  } catch (error) {
    io.err(`scenario ${name}, seed ${seed}: FAILED\n${describeFailure(error, name, seed)}\n`);
    return 1;
  }
}

async function sweep(
  name: string,
  scenario: ScenarioRunner,
  from: number,
  count: number,
  io: CliIo,
): Promise<number> {
  let lastDraw = 0;
  let lastPercent = -1;
  const result = await sweepSeeds(scenario, {
    from,
    count,
    onProgress: (p) => {
      if (io.errIsTTY) {
        // Redrawn at most 20 times a second: a terminal write per seed would cost more than a fast seed.
        const now = performance.now();
        if (p.done === p.total || now - lastDraw >= 50) {
          lastDraw = now;
          io.err(`\r${progressLine(p)}`);
        }
      } else {
        const percent = Math.floor((p.done / p.total) * 10) * 10;
        if (percent !== lastPercent) {
          lastPercent = percent;
          io.err(`${progressLine(p)}\n`);
        }
      }
    },
  });
  if (io.errIsTTY) io.err('\n');
  const seconds = (result.elapsedMs / 1000).toFixed(1);
  const rate = result.seedsPerSecond.toFixed(1);
  const lines = [
    `${result.total} seeds of ${name} (${from}..${from + result.total - 1}): ${result.passed} passed, ` +
      `${result.failed.length} failed in ${seconds} s (${rate} seeds/s)`,
  ];
  for (const f of result.failed.slice(0, MAX_LISTED)) {
    lines.push(`  seed ${f.seed}: ${firstLine(f.error)}`);
    lines.push(`    ${replayCommand(name, f.seed)}`);
  }
  if (result.failed.length > MAX_LISTED) {
    const rest = result.failed.slice(MAX_LISTED).map((f) => f.seed);
    lines.push(`  … and ${rest.length} more: seeds ${rest.join(', ')}`);
  }
  io.out(lines.join('\n') + '\n');
  return result.failed.length > 0 ? 1 : 0;
}

/**
 * Fails the seed whose run leaves a promise rejection unhandled, where Node would end the whole process (and
 * with it a sweep of a thousand seeds). Seeds run one at a time, so the rejection belongs to the current one.
 */
export function failingOnUnhandledRejections(scenario: ScenarioRunner): ScenarioRunner {
  return async (seed) => {
    let rejection: { reason: unknown } | undefined;
    const onRejection = (reason: unknown): void => {
      rejection ??= { reason };
    };
    process.on('unhandledRejection', onRejection);
    try {
      const result = await scenario(seed);
      // Node reports an unhandled rejection only after the microtask queue has drained.
      await new Promise((resolve) => setImmediate(resolve));
      if (rejection) {
        const reason = rejection.reason;
        const text = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
        throw new Error(`a promise rejection was never handled: ${text}`, { cause: reason });
      }
      return result;
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  };
}

function describeFailure(error: unknown, name: string, seed: number): string {
  if (error instanceof SimulationFailure) return error.message;
  // A scenario that threw before or outside `simulate`: still say how to replay it.
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return `${text}\nreplay: ${replayCommand(name, seed)}`;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n', 1)[0];
}
