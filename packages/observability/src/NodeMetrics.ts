import type { ActorSystem } from '@troupe/core';
import type { Transport } from '@troupe/transport';
import { Counter, Gauge, Registry } from 'prom-client';
import { instrumentTransport, type TransportMeter } from './instrumentTransport';
import { deepestMailboxes, totalDepth } from './internal/mailboxDepths';
import { ObservabilityError } from './ObservabilityError';

export interface NodeMetricsOptions {
  /** The node's actor system. */
  system: ActorSystem;
  /**
   * Where the metrics are registered. Default: a new `Registry` of this node's own, so that several nodes in
   * one process never collide. Pass one to serve them with the application's metrics (one node per registry).
   */
  registry?: Registry;
  /** Labels on every series of this node: `node` is required, others (region, role...) are optional. */
  labels: { node: string } & Record<string, string>;
  /** How many of the deepest mailboxes get a series of their own in `troupe_mailbox_depth`. Default 10. */
  mailboxTopN?: number;
}

/** One node's Prometheus metrics. */
export interface NodeMetrics {
  readonly registry: Registry;
  /** Counts connections and bytes of transports wrapped with {@link NodeMetrics.instrumentTransport}. */
  readonly transportMeter: TransportMeter;
  /** The Prometheus text exposition of the registry; mailbox depths and actor counts are read at this moment. */
  metricsText(): Promise<string>;
  /** `instrumentTransport(transport, this.transportMeter)`. */
  instrumentTransport(transport: Transport): Transport;
  /** Stops listening to the system and removes this node's metrics from the registry. Idempotent. */
  stop(): void;
}

/** Metric names, for queries and dashboards. */
export const METRIC_NAMES = {
  mailboxDepth: 'troupe_mailbox_depth',
  mailboxDepthTotal: 'troupe_mailbox_depth_total',
  actors: 'troupe_actors',
  messagesHandled: 'troupe_messages_handled_total',
  deadLetters: 'troupe_dead_letters_total',
  restarts: 'troupe_actor_restarts_total',
  failures: 'troupe_actor_failures_total',
  connections: 'troupe_transport_connections',
  bytesSent: 'troupe_transport_bytes_sent_total',
  bytesReceived: 'troupe_transport_bytes_received_total',
} as const;

const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Labels the metrics themselves use; a node label of the same name would clash. */
const RESERVED_LABELS = new Set(['path', 'reason']);

/**
 * Prometheus metrics for one node, with `prom-client`:
 *
 * | metric                                  | type    | labels           | from                                      |
 * | --------------------------------------- | ------- | ---------------- | ----------------------------------------- |
 * | `troupe_mailbox_depth`                  | gauge   | `path`           | the `mailboxTopN` deepest non-empty mailboxes, at scrape |
 * | `troupe_mailbox_depth_total`            | gauge   |                  | all mailboxes added up, at scrape         |
 * | `troupe_actors`                         | gauge   |                  | live actors (`system.stats()`)            |
 * | `troupe_messages_handled_total`         | counter |                  | messages handed to behaviours (`stats()`) |
 * | `troupe_dead_letters_total`             | counter | `reason`         | dead-letter events                        |
 * | `troupe_actor_restarts_total`           | counter |                  | actor-restarted events                    |
 * | `troupe_actor_failures_total`           | counter |                  | actor-failed events                       |
 * | `troupe_transport_connections`          | gauge   |                  | open connections of instrumented transports |
 * | `troupe_transport_bytes_sent_total`     | counter |                  | bytes accepted by `send`                  |
 * | `troupe_transport_bytes_received_total` | counter |                  | bytes delivered to listeners              |
 *
 * Every series also carries `labels` (at least `node`). Label values are bounded: `reason` is one of core's
 * dead-letter reasons, and `path` has at most `mailboxTopN` values per scrape. Nothing here touches the
 * dispatcher's hot path: counts come from `system.stats()` and the event stream, depths from a walk of the
 * actor tree at scrape time (linear in the number of actors).
 *
 * @example
 * ```ts
 * const metrics = createNodeMetrics({ system, labels: { node: 'shop-1' } });
 * const server = await serveMetrics({ port: 9464 }, metrics); // http://127.0.0.1:9464/metrics
 * ```
 */
export function createNodeMetrics(options: NodeMetricsOptions): NodeMetrics {
  const { system, labels } = options;
  if (typeof system?.stats !== 'function' || typeof system.actorTree !== 'function') {
    throw new ObservabilityError('OBS_ERR_INVALID_OPTION', 'createNodeMetrics needs an actor system');
  }
  if (typeof labels?.node !== 'string' || labels.node === '') {
    throw new ObservabilityError('OBS_ERR_INVALID_OPTION', 'createNodeMetrics needs labels.node');
  }
  for (const [name, value] of Object.entries(labels)) {
    if (
      !LABEL_RE.test(name) ||
      name.startsWith('__') ||
      RESERVED_LABELS.has(name) ||
      typeof value !== 'string'
    ) {
      throw new ObservabilityError('OBS_ERR_INVALID_OPTION', `invalid label ${JSON.stringify(name)}`);
    }
  }
  const topN = options.mailboxTopN ?? 10;
  if (!Number.isInteger(topN) || topN < 0) {
    throw new ObservabilityError(
      'OBS_ERR_INVALID_OPTION',
      `mailboxTopN must be an integer >= 0, not ${topN}`,
    );
  }
  const registry = options.registry ?? new Registry();
  registry.setDefaultLabels(labels);
  const registers = [registry];

  new Gauge({
    name: METRIC_NAMES.mailboxDepth,
    help: `Mailbox depth of the ${topN} deepest non-empty mailboxes at scrape time`,
    labelNames: ['path'],
    registers,
    collect() {
      this.reset();
      for (const { path, depth } of deepestMailboxes(system.actorTree(), topN)) this.set({ path }, depth);
    },
  });
  new Gauge({
    name: METRIC_NAMES.mailboxDepthTotal,
    help: 'Items waiting in all mailboxes of the node at scrape time',
    registers,
    collect() {
      this.set(totalDepth(system.actorTree()));
    },
  });
  new Gauge({
    name: METRIC_NAMES.actors,
    help: 'Live actors',
    registers,
    collect() {
      this.set(system.stats().liveActors);
    },
  });
  let handledSoFar = 0;
  new Counter({
    name: METRIC_NAMES.messagesHandled,
    help: 'Messages handed to actor behaviours',
    registers,
    collect() {
      const now = system.stats().messages;
      if (now > handledSoFar) this.inc(now - handledSoFar);
      handledSoFar = now;
    },
  });
  const deadLetters = new Counter({
    name: METRIC_NAMES.deadLetters,
    help: 'Messages that could not be delivered, by reason',
    labelNames: ['reason'],
    registers,
  });
  const restarts = new Counter({ name: METRIC_NAMES.restarts, help: 'Actor restarts', registers });
  const failures = new Counter({ name: METRIC_NAMES.failures, help: 'Actor failures', registers });
  const connections = new Gauge({
    name: METRIC_NAMES.connections,
    help: 'Open connections of instrumented transports',
    registers,
  });
  const bytesSent = new Counter({
    name: METRIC_NAMES.bytesSent,
    help: 'Bytes accepted for sending by instrumented transports',
    registers,
  });
  const bytesReceived = new Counter({
    name: METRIC_NAMES.bytesReceived,
    help: 'Bytes received by instrumented transports',
    registers,
  });

  const offs = [
    system.events.subscribe('dead-letter', (e) => deadLetters.inc({ reason: e.reason })),
    system.events.subscribe('actor-restarted', () => restarts.inc()),
    system.events.subscribe('actor-failed', () => failures.inc()),
  ];
  let stopped = false;
  const transportMeter: TransportMeter = {
    connectionOpened: () => connections.inc(),
    connectionClosed: () => connections.dec(),
    bytesSent: (n) => bytesSent.inc(n),
    bytesReceived: (n) => bytesReceived.inc(n),
  };

  return {
    registry,
    transportMeter,
    metricsText: () => registry.metrics(),
    instrumentTransport: (transport) => instrumentTransport(transport, transportMeter),
    stop() {
      if (stopped) return;
      stopped = true;
      for (const off of offs) off();
      for (const name of Object.values(METRIC_NAMES)) registry.removeSingleMetric(name);
    },
  };
}
