/**
 * One election node in its own process, over WebSocket on 127.0.0.1: for the CLI, the process tests and the
 * benchmark. Prints one JSON line per change of role, term or leader (`{"event":"role",...}`), and one per answer
 * of the singleton it asks through its proxy every `--probe-ms` (`{"event":"singleton",...}`), each with `t`
 * (Date.now()) so a parent can time failovers.
 *
 *   node --import tsx apps/leader-election/cli/leaderNode.ts --port 4711 \
 *     --voters troupe://leader@127.0.0.1:4711,troupe://leader@127.0.0.1:4712,... [--cluster] [--state-dir dir]
 *
 * With --cluster the voters are the cluster's members (joined through the --voters addresses as seeds).
 * Reads the shared secret from TROUPE_SECRET. SIGTERM stops it cleanly.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ask } from '@troupe/core';
import { ClusterSettings, startCluster } from '@troupe/cluster';
import { createNode } from '@troupe/remote';
import { WebSocketTransport } from '@troupe/transport-ws';
import { fileStorage, memoryStorage, startLeaderElection, startSingleton } from '../src';
import { type Me, type Who, whoAmI, whoSerialization } from './who';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    voters: { type: 'string', default: '' },
    cluster: { type: 'boolean', default: false },
    'state-dir': { type: 'string' },
    'probe-ms': { type: 'string', default: '100' },
  },
});

const print = (line: Record<string, unknown>) =>
  process.stdout.write(JSON.stringify({ t: Date.now(), ...line }) + '\n');

async function main(): Promise<void> {
  const port = Number(values.port ?? 0);
  const node = await createNode({
    name: 'leader',
    transport: new WebSocketTransport({
      host: '127.0.0.1',
      port,
      secret: process.env.TROUPE_SECRET ?? 'troupe-leader-election-secret',
    }),
    serialization: whoSerialization(),
    reconnect: { minMs: 20, maxMs: 200 },
    logLevel: 'off',
  });
  print({ event: 'listening', address: node.address, pid: process.pid });
  const addresses = values.voters!.split(',').filter((s) => s.length > 0);
  const storage = values['state-dir']
    ? fileStorage(join(values['state-dir'], `${node.address.split(':').pop()}.json`))
    : memoryStorage();
  const cluster = values.cluster
    ? startCluster(node, { seeds: addresses, settings: ClusterSettings.fast() })
    : undefined;
  const election = cluster
    ? startLeaderElection(node, { cluster, storage })
    : startLeaderElection(node, { voters: addresses, storage });
  election.subscribe(({ leader, term, role }) =>
    print({ event: 'role', self: node.address, role, term, leader }),
  );
  const singleton = startSingleton(election, { name: 'who', behavior: whoAmI(node.address) });
  const probeMs = Number(values['probe-ms']);
  if (probeMs > 0) {
    const probe = setInterval(() => {
      ask<Who, Me>(singleton.proxy, (replyTo) => ({ type: 'leader-cli/who', replyTo }), {
        timeoutMs: 1000,
      }).then(
        (me) => print({ event: 'singleton', self: node.address, node: me.node, token: me.token }),
        () => undefined,
      );
    }, probeMs);
    probe.unref();
  }
  const stop = () =>
    void election
      .stop()
      .then(() => node.shutdown())
      .finally(() => process.exit(0));
  // Ctrl-C in a terminal reaches the whole process group: stop as cleanly as on the parent's SIGTERM.
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`leaderNode failed: ${String(e)}\n`);
  process.exit(1);
});
