import { createNode, type RemoteNode } from '@troupe/remote';
import { MemoryNetwork } from '@troupe/transport-memory';
import { type Cluster, type ClusterEvent, ClusterSettings, type MemberStatus, startCluster } from '../src';

/** One started node of a test cluster, with every cluster event it published. */
export interface TestMember {
  readonly name: string;
  readonly address: string;
  readonly node: RemoteNode;
  readonly cluster: Cluster;
  readonly events: ClusterEvent[];
}

export const SYSTEM = 'c';
export const addressOf = (name: string): string => `troupe://${SYSTEM}@${name}`;

/**
 * Nodes on one in-memory network, on the real clock with fast settings. Remoting's own failure detection is
 * turned far down (60 s), so that whatever a test sees about dead nodes comes from the cluster.
 */
export class MemoryCluster {
  readonly net = new MemoryNetwork();
  readonly members: TestMember[] = [];

  async start(
    name: string,
    seeds: readonly string[],
    settings: Partial<ClusterSettings> = {},
  ): Promise<TestMember> {
    const node = await createNode({
      name: SYSTEM,
      transport: this.net.transport({ address: name }),
      logLevel: 'off',
      heartbeatIntervalMs: 1000,
      unreachableAfterMs: 60_000,
      reconnect: { minMs: 10, maxMs: 200 },
    });
    const cluster = startCluster(node, { seeds, settings: ClusterSettings.fast(settings) });
    const events: ClusterEvent[] = [];
    cluster.subscribe((e) => events.push(e));
    const member = { name, address: node.address, node, cluster, events };
    this.members.push(member);
    return member;
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.members.map((m) => m.node.shutdown()));
    this.net.shutdown();
  }
}

/** Statuses of the members `m` sees, by address. */
export function statuses(m: TestMember): Record<string, MemberStatus> {
  return Object.fromEntries(m.cluster.state().members.map((x) => [x.address, x.status]));
}

/** Whether every given node sees exactly `addresses`, all up, reachable, converged, with one leader. */
export function allUp(nodes: readonly TestMember[], addresses: readonly string[]): boolean {
  const leaders = new Set<string | undefined>();
  for (const n of nodes) {
    const s = n.cluster.state();
    if (s.members.length !== addresses.length) return false;
    if (!s.members.every((m) => m.status === 'up' && m.reachable && addresses.includes(m.address)))
      return false;
    if (!s.converged) return false;
    leaders.add(s.leader);
  }
  return leaders.size === 1 && !leaders.has(undefined);
}

export async function eventually(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The events of one type about one address, in order. */
export function eventsAbout(m: TestMember, address: string): string[] {
  return m.events
    .filter(
      (e): e is Extract<ClusterEvent, { member: unknown }> => 'member' in e && e.member.address === address,
    )
    .map((e) => e.type);
}
