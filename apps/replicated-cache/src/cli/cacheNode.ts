/**
 * One cache node in its own process, over WebSocket on 127.0.0.1, with its HTTP API: what `npm run cache`
 * starts, and what the process tests and the benchmark start. Prints one JSON line per event on stdout: first
 * `{ "event": "listening", "address", "http", "pid" }`, then `{ "event": "ready" }` once its replica has
 * caught up.
 *
 *   node --import tsx apps/replicated-cache/src/cli/cacheNode.ts --port 4711 --http-port 7070 \
 *     --seeds troupe://cache@127.0.0.1:4711,troupe://cache@127.0.0.1:4712 [--members a,b,c] \
 *     [--cluster-timings fast|production]
 *
 * With `--seeds`, members come from a cluster; with `--members`, they are fixed. The cluster's timings are
 * `ClusterSettings.fast()` unless `--cluster-timings production` (`ClusterSettings.defaults()`, Akka's): fast
 * ones find a killed node within a second, as the demo and the process tests want, but their heartbeats,
 * gossip and reaper ticks cost each node about 50 ms of CPU a second on a 2-core machine, which a throughput
 * benchmark would charge to its requests. SIGTERM leaves the cluster gracefully; SIGINT stops at once.
 */
import { parseArgs } from 'node:util';
import { ClusterSettings, startCluster } from '@troupe/cluster';
import { createNode } from '@troupe/remote';
import { WebSocketTransport } from '@troupe/transport-ws';
import { startCache } from '../startCache';
import { startHttpApi } from '../startHttpApi';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'http-port': { type: 'string', default: '0' },
    seeds: { type: 'string', default: '' },
    members: { type: 'string', default: '' },
    name: { type: 'string', default: 'cache' },
    secret: { type: 'string', default: process.env.CACHE_SECRET ?? 'troupe-cache-dev-secret' },
    settings: { type: 'string', default: '{}' },
    'cluster-timings': { type: 'string', default: 'fast' },
  },
});

const print = (line: Record<string, unknown>) =>
  process.stdout.write(JSON.stringify({ t: Date.now(), ...line }) + '\n');

async function main(): Promise<void> {
  const node = await createNode({
    name: values.name!,
    transport: new WebSocketTransport({
      host: '127.0.0.1',
      port: Number(values.port),
      secret: values.secret,
    }),
    logLevel: 'off',
  });
  const list = (s: string | undefined) => (s ?? '').split(',').filter((x) => x.length > 0);
  const members = list(values.members);
  const settings = JSON.parse(values.settings!) as Record<string, unknown>;
  const timings = values['cluster-timings'];
  if (timings !== 'fast' && timings !== 'production')
    throw new Error(`--cluster-timings must be fast or production, not ${timings}`);
  const cluster =
    members.length === 0
      ? startCluster(node, {
          seeds: list(values.seeds),
          settings: timings === 'fast' ? ClusterSettings.fast() : ClusterSettings.defaults(),
        })
      : undefined;
  const cache = startCache(node, members.length > 0 ? { members, settings } : { cluster, settings });
  const api = await startHttpApi(cache, { host: '127.0.0.1', port: Number(values['http-port']) });
  print({ event: 'listening', address: node.address, http: api.url, pid: process.pid });
  const timer = setInterval(() => {
    if (!cache.stats().ready) return;
    print({ event: 'ready', address: node.address, members: cache.stats().members.length });
    clearInterval(timer);
  }, 20);
  const stop = async (): Promise<void> => {
    await api.close();
    if (cluster) await cluster.leave().catch(() => undefined);
    await node.shutdown();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => process.exit(0));
}

main().catch((e: unknown) => {
  process.stderr.write(`cacheNode failed: ${String(e)}\n`);
  process.exit(1);
});
