/**
 * The cache's whole quorum-write path in one process, on the deterministic simulator (in-memory transport with
 * serialization, virtual time): three cache nodes and a client node, 100 puts in flight through the typed client,
 * CPU time per write (`--reads`: per quorum read, of keys never written). Quicker than the four-process bench and free
 * of wake-ups and process switches, though it includes the simulator's own scheduling; its figures still move by
 * half from one process start to the next (the JIT's choices), so compare two versions in alternating runs.
 *
 *   node --import tsx bench/src/cache/writePathMicro.ts [--writes 100000] [--rounds 5] [--lease-ms 1000] [--reads]
 */
import { parseArgs } from 'node:util';
import { Serialization } from '@troupe/remote';
import { type SimNode, simulate } from '@troupe/testkit';
import {
  type CacheNode,
  createCacheClient,
  registerCacheProtocol,
  startCache,
} from '../../../apps/replicated-cache/src';

const { values } = parseArgs({
  options: {
    writes: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '5' },
    'lease-ms': { type: 'string', default: '1000' },
    reads: { type: 'boolean', default: false },
  },
});
const WRITES = Number(values.writes);
const ROUNDS = Number(values.rounds);
const IN_FLIGHT = 100;
const PAYLOAD = 'x'.repeat(32);
const members = ['troupe://sim@node-1', 'troupe://sim@node-2', 'troupe://sim@node-3'];
const caches: CacheNode[] = [];

void simulate(
  {
    seed: 1,
    nodes: 4,
    // A long trace would grow the heap, and the collector's work, from round to round.
    traceLimit: 1000,
    serialization: () => registerCacheProtocol(new Serialization()),
    setup: (node: SimNode) => {
      if (node.name !== 'node-4')
        caches.push(
          startCache(node.node, { members, settings: { writeLeaseMs: Number(values['lease-ms']) } }),
        );
    },
  },
  async (sim) => {
    await sim.runUntil(() => caches.every((c) => c.stats().ready), 5000);
    const client = createCacheClient(sim.node('node-4').node, 'troupe://sim@node-1');
    await sim.waitFor(client.put('warm', 1), 10_000);
    const results: number[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      let started = 0;
      const loop = async (): Promise<void> => {
        while (started < WRITES) {
          const i = started++;
          if (values.reads) await client.get(`key-${i % 1000}`);
          else await client.put(`key-${i % 1000}`, PAYLOAD);
        }
      };
      const cpu = process.cpuUsage();
      await sim.waitFor(Promise.all(Array.from({ length: IN_FLIGHT }, loop)), 10_000_000);
      const used = process.cpuUsage(cpu);
      const us = (used.user + used.system) / WRITES;
      if (round > 0) results.push(us); // round 0 warms the JIT
      console.log(`round ${round}: ${us.toFixed(2)} µs CPU per ${values.reads ? 'read' : 'write'}`);
    }
    results.sort((a, b) => a - b);
    console.log(
      `median ${results[Math.floor(results.length / 2)]!.toFixed(2)} µs, least ${results[0]!.toFixed(2)} µs`,
    );
    const s = caches.map((c) => c.stats());
    console.log(`leased writes ${s.map((x) => x.leasedWrites).join(', ')}`);
  },
).then(() => process.exit(0));
