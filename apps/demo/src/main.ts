/**
 * `npm start`: the demo cluster and its dashboard. Options: `--nodes N` (default 5), `--port P` (the dashboard's
 * port, default 0: any free one; or the PORT environment variable). Ctrl-C (or SIGTERM) stops every process.
 */
import { parseArgs } from 'node:util';
import { startDemo } from './startDemo';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '5' },
      port: { type: 'string', default: process.env.PORT ?? '0' },
    },
  });
  const demo = await startDemo({ nodes: Number(values.nodes), port: Number(values.port) });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the cluster...\n`);
    void demo.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  const ports = demo.cluster.nodes.map((n) => n.config.port).join(', ');
  process.stdout.write(
    `Troupe demo: ${demo.cluster.nodes.length} node processes on 127.0.0.1 (ports ${ports}).\n` +
      `Dashboard: ${demo.url}\n` +
      `Ctrl-C stops everything.\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
