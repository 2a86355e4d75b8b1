/**
 * `npm run cache -- --nodes 3 [--http-port 7070]`: starts a cache of N node processes over WebSocket on
 * 127.0.0.1, forming a cluster, and prints each node's HTTP address. Node i serves HTTP on `http-port + i - 1`
 * (`--http-port 0`: any free port). Ctrl-C stops them all.
 */
import { parseArgs } from 'node:util';
import { freePorts } from '@troupe/testkit';
import { until } from '@troupe/testkit';
import { CacheNodeProcess } from './startNodeProcess';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '3' },
      'http-port': { type: 'string', default: '7070' },
    },
  });
  const n = Number(values.nodes);
  const httpBase = Number(values['http-port']);
  if (!Number.isInteger(n) || n < 1 || n > 32) throw new Error('--nodes must be 1..32');
  if (!Number.isInteger(httpBase) || httpBase < 0 || httpBase > 65535)
    throw new Error('--http-port must be a port');
  const ports = await freePorts(n);
  const seeds = ports.slice(0, Math.min(2, n)).map((p) => `troupe://cache@127.0.0.1:${p}`);
  const nodes = ports.map(
    (port, i) => new CacheNodeProcess({ port, seeds, httpPort: httpBase === 0 ? 0 : httpBase + i }),
  );
  const stopAll = async (): Promise<void> => {
    await Promise.all(nodes.map((p) => p.stop()));
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stopAll().then(() => process.exit(0)));
  for (const p of nodes)
    void p.exited.then((code) => p.alive || console.error(`${p.address} exited (${code}) ${p.errors}`));
  try {
    await until(() => nodes.every((p) => p.url !== undefined), 30_000, 'every node to listen');
  } catch (e) {
    await stopAll();
    throw new Error(`${(e as Error).message}: ${nodes.map((p) => p.errors).join(' | ')}`, { cause: e });
  }
  nodes.forEach((p, i) => console.log(`node-${i + 1}  ${p.url}  (${p.address})`));
  await until(() => nodes.every((p) => p.ready), 60_000, 'every node to be ready').then(
    () =>
      console.log(`all ${n} nodes ready; try: npm run cache:cli -- put greeting '"hello"'  (Ctrl-C stops)`),
    (e: Error) => console.error(e.message),
  );
}

main().catch((e: unknown) => {
  console.error(String(e));
  process.exit(1);
});
