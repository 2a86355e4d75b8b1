import type { Logger } from '../ActorContext';
import type { SystemInternals } from './SystemInternals';

/** @internal A logger that tags every line with its source (an actor path). */
export function createLogger(sys: SystemInternals, source: string): Logger {
  return {
    debug: (message, data) => sys.writeLog('debug', source, message, data),
    info: (message, data) => sys.writeLog('info', source, message, data),
    warn: (message, data) => sys.writeLog('warn', source, message, data),
    error: (message, data) => sys.writeLog('error', source, message, data),
    isEnabled: (level) => sys.logEnabled(level),
  };
}
