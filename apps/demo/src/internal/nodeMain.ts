/**
 * One node of the demo cluster, in its own process (forked by the orchestrator, run by tsx): a WebSocket
 * remoting node on 127.0.0.1 behind a {@link PartitionableTransport}, a cluster member, leader election with a
 * singleton, a replicated cache with its HTTP API, and a few supervised workers. Every half second it sends its
 * status over the IPC channel; it takes partition commands from there. It exits when the orchestrator goes away
 * (the IPC channel closes), so that no node outlives a demo, even one that was killed.
 *
 * Configuration comes from the environment (the secret must not show in `ps`): TROUPE_DEMO_INDEX,
 * TROUPE_DEMO_PORT, TROUPE_DEMO_HTTP_PORT (the cache's HTTP API), TROUPE_DEMO_METRICS_PORT, TROUPE_DEMO_SEEDS
 * (comma-separated node addresses), TROUPE_DEMO_SECRET.
 */
import { type Behavior, createActorSystem, receive, setup } from '@troupe/core';
import { ClusterSettings, startCluster } from '@troupe/cluster';
import { ElectionSettings, startLeaderElection, startSingleton } from '@troupe/leader-election';
import { createNodeMetrics, serveMetrics } from '@troupe/observability';
import { startRemoting } from '@troupe/remote';
import { startCache, startHttpApi } from '@troupe/replicated-cache';
import { WebSocketTransport } from '@troupe/transport-ws';
import { PartitionableTransport } from '../PartitionableTransport';
import { type NodeCommand, type NodeMessage, type NodeStatus, STATUS_INTERVAL_MS } from './protocol';
import { SystemObserver } from './SystemObserver';
import { startWorkers, type WorkerCommand } from './workers';

export const SYSTEM_NAME = 'demo';

/**
 * Cluster timings for five processes on a small, busy machine: heartbeats every 200 ms, but 2 s of silence
 * tolerated, since a process that is starting (or sharing two cores with a browser) can stall for a second, and
 * a member taken for dead is downed for good. A killed node is down about 4 s after; the leader election does not
 * wait for that, it has its own, shorter timeouts.
 */
export const DEMO_CLUSTER_SETTINGS = ClusterSettings.fast({
  heartbeatIntervalMs: 200,
  acceptableHeartbeatPauseMs: 2000,
  stableAfterMs: 1500,
});

/**
 * Raft's timings times four: five processes share two cores with a browser, and a 150 ms election timeout would
 * see leaders that are only slow. A killed leader is still replaced in about a second.
 */
export const DEMO_ELECTION_SETTINGS = ElectionSettings.defaults({
  electionTimeoutMinMs: 600,
  electionTimeoutMaxMs: 1200,
  heartbeatMs: 150,
  leaseMs: 400,
});

type Tick = { readonly type: 'tick' };

/** The cluster singleton: counts seconds under its fencing token, so the page shows where it runs and since when. */
function ticker(token: number, report: (s: { token: number; ticks: number }) => void): Behavior<Tick> {
  return setup<Tick>((ctx) => {
    let ticks = 0;
    report({ token, ticks });
    ctx.timers.startTimerAtFixedRate('tick', { type: 'tick' }, 1000);
    return receive<Tick>(() => {
      ticks++;
      report({ token, ticks });
    });
  });
}

function send(message: NodeMessage): void {
  if (process.connected) process.send!(message);
}

async function main(): Promise<void> {
  if (!process.send)
    throw new Error('nodeMain must be started by the demo orchestrator (with an IPC channel)');
  process.on('disconnect', () => process.exit(0));
  const index = Number(process.env.TROUPE_DEMO_INDEX);
  const port = Number(process.env.TROUPE_DEMO_PORT);
  const httpPort = Number(process.env.TROUPE_DEMO_HTTP_PORT);
  const metricsPort = Number(process.env.TROUPE_DEMO_METRICS_PORT);
  const seeds = (process.env.TROUPE_DEMO_SEEDS ?? '').split(',').filter((s) => s.length > 0);
  const secret = process.env.TROUPE_DEMO_SECRET;

  const system = createActorSystem({ name: SYSTEM_NAME, logLevel: 'off' });
  const observer = new SystemObserver(system);
  const metrics = createNodeMetrics({ system, labels: { node: `node-${index}` } });
  const transport = new PartitionableTransport(new WebSocketTransport({ host: '127.0.0.1', port, secret }));
  const node = await startRemoting({ system, transport: metrics.instrumentTransport(transport) });
  const cluster = startCluster(node, { seeds, settings: DEMO_CLUSTER_SETTINGS });
  const election = startLeaderElection(node, { cluster, settings: DEMO_ELECTION_SETTINGS });
  let singletonState: { token: number; ticks: number } | undefined;
  const singleton = startSingleton(election, {
    name: 'ticker',
    behavior: (token) => ticker(token, (s) => (singletonState = s)),
  });
  const cache = startCache(node, { cluster });
  const api = await startHttpApi(cache, { host: '127.0.0.1', port: httpPort });
  const metricsServer = await serveMetrics({ host: '127.0.0.1', port: metricsPort }, metrics);
  const workers = startWorkers(system);

  const status = (): NodeStatus => {
    const s = cluster.state();
    const stats = system.stats();
    return {
      address: node.address,
      transportAddress: node.identity.address,
      incarnation: node.incarnation,
      pid: process.pid,
      t: Date.now(),
      cluster: {
        members: s.members.map((m) => ({
          address: m.address,
          status: m.status,
          reachable: m.reachable,
          upNumber: m.upNumber,
        })),
        leader: s.leader,
        converged: s.converged,
        unreachable: s.unreachable,
        selfStatus: s.selfMember?.status ?? 'not a member',
      },
      counters: { messages: stats.messages, deadLetters: stats.deadLetters, liveActors: stats.liveActors },
      sentTo: transport.sentTo(),
      blocked: transport.blocked(),
      actorTree: observer.actorTree(),
      recent: observer.recent(),
      election: {
        available: true,
        value: {
          leader: election.currentLeader(),
          role: election.role(),
          term: election.term(),
          singletonHere: singleton.runningHere(),
          ...(singleton.runningHere() && singletonState ? { singleton: singletonState } : {}),
        },
      },
      cache: { available: true, value: { keys: cache.stats().keys, url: api.url, stats: cache.stats() } },
      metrics: { available: true, value: { url: metricsServer.url } },
    };
  };
  const report = () => send({ type: 'status', status: status() });
  report();
  setInterval(report, STATUS_INTERVAL_MS);
  // A new leader or term is what a viewer waits for: report it at once rather than at the next interval.
  election.subscribe(() => setImmediate(report));

  process.on('message', (raw: unknown) => {
    const command = raw as NodeCommand;
    try {
      switch (command.type) {
        case 'block':
          transport.block(command.peers);
          break;
        case 'heal':
          transport.heal();
          break;
        case 'crash-worker':
          workers.tell({ type: 'crash' } satisfies WorkerCommand);
          break;
      }
      send({ type: 'reply', id: command.id, ok: true });
      report();
    } catch (e) {
      send({ type: 'reply', id: command.id, ok: false, error: String(e) });
    }
  });

  // Downed by the cluster (say, on the minority side of a partition): the node has shut down; so does the process.
  await cluster.whenStopped;
  report();
  process.exit(3);
}

main().catch((e: unknown) => {
  process.stderr.write(`demo node failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
