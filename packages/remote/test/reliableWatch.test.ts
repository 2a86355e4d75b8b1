import { createActorSystem, receiveMessage } from '@troupe/core';
import { MemoryNetwork } from '@troupe/transport-memory';
import { type RemoteEvent, type RemoteNode, startRemoting } from '../src';
import { eventually, testSerialization, watchFrom } from '../conformance/remoteConformance';

describe('remote death watch on a lossy network', () => {
  const nodes: RemoteNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.shutdown()));
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'delivers Terminated exactly once though 30%% of messages are dropped (seed %i)',
    async (seed) => {
      const net = new MemoryNetwork({ seed });
      const start = async () => {
        const system = createActorSystem({ name: 'lossy', logLevel: 'off' });
        const node = await startRemoting({
          system,
          transport: net.transport(),
          serialization: testSerialization(),
          heartbeatIntervalMs: 20,
          unreachableAfterMs: 5000,
          reconnect: { minMs: 5, maxMs: 20 },
        });
        nodes.push(node);
        return node;
      };
      const a = await start();
      const b = await start();
      const target = a.system.spawn(
        receiveMessage<never>(() => undefined),
        'target',
      );
      const remote = b.refFor<never>(`${a.address}/user/target`);
      const events: RemoteEvent[] = [];
      b.onEvent((e) => events.push(e));
      const terminated: string[] = [];
      net.setFaults({ dropRate: 0.3 });
      watchFrom(b.system, remote, (ref) => terminated.push(ref.path));
      // Long enough for the watch to get through (resent until acknowledged), then the target stops.
      await new Promise((r) => setTimeout(r, 200));
      a.system.stop(target);
      await eventually(() => terminated.length > 0, 4000);
      await new Promise((r) => setTimeout(r, 150)); // redelivered notices must not make a second one
      expect(terminated).toEqual(['/user/target']);
      expect(events.some((e) => e.type === 'peer-unreachable')).toBe(false);
      net.clearFaults();
    },
    10_000,
  );
});
