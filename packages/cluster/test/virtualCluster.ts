import { createSeededRandom, SimulatedClock } from '@troupe/core';
import { createNode, type RemoteNode } from '@troupe/remote';
import { MemoryNetwork } from '@troupe/transport-memory';
import { type Cluster, type ClusterEvent, type ClusterSettings, startCluster } from '../src';

/** One node of a {@link VirtualCluster}, with every cluster event it published and when (virtual ms). */
export interface VirtualMember {
  readonly name: string;
  readonly address: string;
  readonly node: RemoteNode;
  readonly cluster: Cluster;
  readonly events: { readonly at: number; readonly e: ClusterEvent }[];
}

/**
 * Nodes on one SimulatedClock (network, remoting and cluster alike). Time moves `stepMs` at a time, and
 * everything due meanwhile (messages, mailboxes) runs before the next step, so a figure read from it is a count
 * of timer periods and round trips, not of how busy the machine was. `latencyMs` delays every message by that
 * much virtual time (a loopback hop), so that a protocol needing more round trips shows it.
 */
export class VirtualCluster {
  readonly clock = new SimulatedClock(1_000_000);
  readonly net: MemoryNetwork;
  readonly members: VirtualMember[] = [];

  constructor(
    readonly settings: ClusterSettings,
    private readonly options: {
      readonly latencyMs?: number;
      readonly stepMs?: number;
      readonly system?: string;
    } = {},
  ) {
    this.net = new MemoryNetwork({ clock: this.clock, seed: 7 });
    const latency = options.latencyMs ?? 0;
    if (latency > 0) this.net.setFaults({ delay: { minMs: latency, maxMs: latency } });
  }

  get system(): string {
    return this.options.system ?? 'v';
  }

  addressOf(name: string): string {
    return `troupe://${this.system}@${name}`;
  }

  /** Creates the nodes and starts their clusters, all at the same virtual instant (with `settings`, if given). */
  async start(
    names: readonly string[],
    seeds: readonly string[],
    settings: ClusterSettings = this.settings,
  ): Promise<VirtualMember[]> {
    const started: VirtualMember[] = [];
    for (const name of names) {
      const node = await createNode({
        name: this.system,
        transport: this.net.transport({ address: name }),
        clock: this.clock,
        random: createSeededRandom(this.members.length + 1),
        logLevel: 'off',
        incarnation: `${name}-1`,
        unreachableAfterMs: 600_000,
      });
      const cluster = startCluster(node, {
        seeds: seeds.map((s) => this.addressOf(s)),
        settings,
      });
      const events: VirtualMember['events'] = [];
      cluster.subscribe((e) => events.push({ at: this.clock.now(), e }));
      const member = { name, address: node.address, node, cluster, events };
      this.members.push(member);
      started.push(member);
    }
    return started;
  }

  /** Lets everything that is due now run: messages, mailboxes, and the chains of messages they cause. */
  async flush(): Promise<void> {
    for (let i = 0; i < 40; i++) await new Promise((r) => setImmediate(r));
  }

  /**
   * Runs `ms` of virtual time, from one due timer to the next (never more than `stepMs` at once), letting
   * everything each one causes run before time moves on.
   */
  async run(ms: number): Promise<void> {
    const step = this.options.stepMs ?? 10;
    const until = this.clock.now() + ms;
    await this.flush();
    while (this.clock.now() < until) {
      const next = this.clock.nextTimerAt() ?? Infinity;
      this.clock.advanceTo(Math.min(next, this.clock.now() + step, until));
      await this.flush();
    }
  }

  /** Runs until `check` holds, from one due timer to the next; returns the virtual time it took. */
  async runUntil(check: () => boolean, limitMs: number, what: string): Promise<number> {
    const started = this.clock.now();
    await this.flush();
    while (!check()) {
      const next = this.clock.nextTimerAt();
      if (next === undefined || next - started > limitMs)
        throw new Error(`${what}: not within ${limitMs} virtual ms`);
      this.clock.advanceTo(next);
      await this.flush();
    }
    return this.clock.now() - started;
  }

  /** Whether every given node sees exactly `count` members, all up, and its view converged. */
  allUp(count: number, nodes: readonly VirtualMember[] = this.members): boolean {
    return nodes.every((m) => {
      const s = m.cluster.state();
      return s.converged && s.members.length === count && s.members.every((x) => x.status === 'up');
    });
  }

  /** When (virtual ms) `m` first published an event of `type` about the node `name`, at or after `since`. */
  eventAt(m: VirtualMember, type: ClusterEvent['type'], name: string, since: number): number | undefined {
    const address = this.addressOf(name);
    return m.events.find(
      ({ at, e }) => at >= since && e.type === type && 'member' in e && e.member.address === address,
    )?.at;
  }

  /** Shuts every node down, moving virtual time meanwhile: a delayed network delivers its goodbyes on it. */
  async shutdown(): Promise<void> {
    let done = false;
    const all = Promise.all(this.members.map((m) => m.node.shutdown())).finally(() => (done = true));
    for (let i = 0; !done && i < 1000; i++) {
      this.clock.advance(10);
      await this.flush();
    }
    await all;
    this.net.shutdown();
  }
}
