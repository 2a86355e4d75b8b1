import { type ActorSystem, type LogEvent, type LogLevel, messageTypeOf } from '@troupe/core';
import pino, { type DestinationStream, type Level, type LevelWithSilent, type Logger } from 'pino';
import { ObservabilityError } from './ObservabilityError';

export interface PinoLoggingOptions {
  /** Written as `node` on every line: the node's name or address. */
  node: string;
  /** Default `warn`: failures and warnings only. `silent` writes nothing. Ignored when `logger` is given. */
  level?: LevelWithSilent;
  /** Where lines go. Default: pino's default, standard output. Ignored when `logger` is given. */
  destination?: DestinationStream;
  /** An existing pino logger to write through (its level applies); `node` is bound on a child of it. */
  logger?: Logger;
}

/** A pino logger wired to an actor system's log facility. */
export interface PinoLogging {
  /** The logger every line goes through, with `node` bound. */
  readonly logger: Logger;
  /**
   * Pass these to `createActorSystem` (or `createNode`): the system then filters at the logger's level and
   * hands each line to pino with the actor's `path`.
   */
  readonly systemOptions: {
    readonly logLevel: LogLevel | 'off';
    readonly logSink: (event: LogEvent) => void;
  };
  /**
   * Also logs the system's dead letters (`info`) and supervision decisions (`info` for restart and resume,
   * `warn` for stop and escalate), if the logger's level lets them through; at `warn`, dead letters cost
   * nothing. Returns the function that stops it.
   */
  attach(system: ActorSystem): () => void;
}

const LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * Structured logs for a Troupe node with pino: every line carries `node` and `path` (the actor, or
 * `troupe://<system>` for the system itself), errors go under `err` with pino's serializer. Quiet by default:
 * level `warn`. The system's own level is set from the logger's when the system is created, so set the level
 * first; a later `logger.level = ...` filters lines but cannot bring back those the system skipped.
 *
 * @example
 * ```ts
 * const logging = pinoLogging({ node: 'shop-1', level: 'info' });
 * const system = createActorSystem({ name: 'shop', ...logging.systemOptions });
 * const detach = logging.attach(system); // dead letters and supervision decisions too
 * // {"level":30,"time":...,"node":"shop-1","path":"/user/cart","msg":"checked out"}
 * ```
 */
export function pinoLogging(options: PinoLoggingOptions): PinoLogging {
  if (typeof options?.node !== 'string' || options.node === '') {
    throw new ObservabilityError('OBS_ERR_INVALID_OPTION', 'pinoLogging needs a node name');
  }
  if (options.level !== undefined && !LEVELS.includes(options.level)) {
    throw new ObservabilityError('OBS_ERR_INVALID_OPTION', `unknown log level ${String(options.level)}`);
  }
  const base =
    options.logger ??
    (options.destination
      ? pino({ level: options.level ?? 'warn' }, options.destination)
      : pino({ level: options.level ?? 'warn' }));
  const logger = base.child({ node: options.node });
  const logSink = (event: LogEvent): void => {
    const fields: Record<string, unknown> = { path: event.source };
    if (event.data instanceof Error) fields.err = event.data;
    else if (event.data !== undefined) fields.data = event.data;
    logger[event.level](fields, event.message);
  };
  return {
    logger,
    systemOptions: { logLevel: coreLevel(logger.level), logSink },
    attach(system) {
      const offs: (() => void)[] = [];
      if (logger.isLevelEnabled('info')) {
        offs.push(
          system.events.subscribe('dead-letter', (e) =>
            logger.info(
              { path: e.recipient, reason: e.reason, messageType: messageTypeOf(e.message) },
              'dead letter',
            ),
          ),
        );
      }
      if (logger.isLevelEnabled('warn')) {
        offs.push(
          system.events.subscribe('supervision', (e) => {
            const level: Level = e.directive === 'restart' || e.directive === 'resume' ? 'info' : 'warn';
            if (!logger.isLevelEnabled(level)) return;
            const fields: Record<string, unknown> = {
              path: e.child.path,
              supervisor: e.supervisor.path,
              directive: e.directive,
              strategy: e.strategy,
            };
            if (e.delayMs !== undefined) fields.delayMs = e.delayMs;
            if (e.error !== undefined) fields.err = e.error;
            logger[level](fields, `supervisor decided: ${e.directive}`);
          }),
        );
      }
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        for (const off of offs) off();
      };
    },
  };
}

/** The core level that lets through what pino's `level` would write, and no more. */
function coreLevel(level: string): LogLevel | 'off' {
  switch (level) {
    case 'trace':
    case 'debug':
      return 'debug';
    case 'info':
      return 'info';
    case 'warn':
      return 'warn';
    case 'error':
    case 'fatal':
      return 'error';
    default:
      return 'off';
  }
}
