import { type AddressInfo, createServer, type Server } from 'node:net';

/**
 * `n` distinct ports free on 127.0.0.1 right now, picked by the OS (listen on port 0, note the port, close). For
 * tests and tools that must tell a child process its port before it starts, such as a cluster's seed list.
 * Another process may take a port between this call and its use: use them at once.
 *
 * @example
 * ```ts
 * const [a, b] = await freePorts(2);
 * const seeds = [`troupe://cluster@127.0.0.1:${a}`];
 * ```
 */
export async function freePorts(n: number): Promise<number[]> {
  // All listen at once, so the OS cannot hand out the same port twice.
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
