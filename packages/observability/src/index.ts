/**
 * `@troupe/observability`: Prometheus metrics per node (mailbox depth, messages, dead letters, restarts,
 * connections, bytes) with prom-client, a transport decorator that counts connections and bytes, and
 * structured logs with pino. The actor-level inspection stream and tree snapshot are core's
 * (`system.inspect`, `system.actorTree`).
 */
export { createNodeMetrics, METRIC_NAMES, type NodeMetrics, type NodeMetricsOptions } from './NodeMetrics';
export { instrumentTransport, type TransportMeter } from './instrumentTransport';
export { type MetricsServer, type MetricsServerOptions, metricsHandler, serveMetrics } from './serveMetrics';
export { pinoLogging, type PinoLogging, type PinoLoggingOptions } from './pinoLogging';
export { ObservabilityError } from './ObservabilityError';
