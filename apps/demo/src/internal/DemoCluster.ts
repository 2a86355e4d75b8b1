import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { NodeHandle, type NodeState } from './NodeHandle';
import type { Consistency, NodeStatus } from './protocol';
import { InvalidActionError } from '../DemoError';

const HISTORY = 120;
const MAX_EVENTS = 60;
/** A little over the cache's own request timeout (1 s), so that its 504 arrives before we give up. */
const CACHE_TIMEOUT_MS = 3000;

/** One node as the dashboard shows it. */
export interface NodeView {
  readonly index: number;
  readonly port: number;
  readonly httpPort: number;
  readonly transportAddress: string;
  readonly address: string;
  readonly state: NodeState;
  readonly lastExit?: string;
  readonly pid?: number;
  readonly starts: number;
  readonly partitioned: boolean;
  /** User messages handled per second, over the last sample. */
  readonly rate: number;
  readonly status?: NodeStatus;
}

/** Who leads, by whose account: leader election's, or (while it is not there) the cluster membership's. */
export interface LeaderView {
  readonly address: string;
  readonly index?: number;
  readonly term?: number;
  readonly source: 'election' | 'membership';
}

/** Everything the dashboard draws, pushed every half second. */
export interface DashboardState {
  readonly t: number;
  readonly nodes: readonly NodeView[];
  /**
   * Members `up` and reachable in the view of the node the page shows (the leader's, or the first running one
   * outside a partition).
   */
  readonly upMembers: number;
  readonly viewFrom?: number;
  readonly leader?: LeaderView;
  /** Indexes of the nodes where the singleton runs (more than one only in a transient split). */
  readonly singletonOn: readonly number[];
  /** Messages per second per node, oldest first, one sample every half second. */
  readonly history: {
    readonly t: readonly number[];
    readonly perNode: readonly (readonly (number | null)[])[];
  };
  /** Messages per second from one node to another, over the last sample. */
  readonly links: readonly { readonly from: number; readonly to: number; readonly rate: number }[];
  readonly events: readonly { readonly t: number; readonly text: string }[];
}

export interface CacheResult {
  readonly ok: boolean;
  readonly node: number;
  readonly key: string;
  readonly value?: string;
  readonly found?: boolean;
  readonly error?: string;
  readonly ms: number;
}

interface Sample {
  readonly incarnation: string;
  readonly t: number;
  readonly messages: number;
  readonly sentTo: Readonly<Record<string, number>>;
}

/**
 * The orchestrator: runs the demo cluster's node processes, follows their reports, and carries out the
 * dashboard's actions (kill, restart, partition, heal, crash a worker, cache put and get).
 */
export class DemoCluster {
  readonly nodes: NodeHandle[];
  private readonly isolated = new Set<number>();
  private readonly previous = new Map<number, Sample>();
  private readonly rates = new Map<number, number>();
  private linkRates: { from: number; to: number; rate: number }[] = [];
  private readonly history: { t: number[]; perNode: (number | null)[][] };
  private readonly events: { t: number; text: string }[] = [];
  private lastLeader: string | undefined;
  private readonly changeListeners = new Set<() => void>();
  private sampler: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(ports: number[], size: number) {
    const secret = randomBytes(24).toString('hex');
    const seeds = [0, 1].slice(0, size).map((i) => `troupe://demo@127.0.0.1:${ports[i]}`);
    this.nodes = Array.from(
      { length: size },
      (_, index) =>
        new NodeHandle({
          index,
          port: ports[index],
          httpPort: ports[size + index],
          metricsPort: ports[2 * size + index],
          seeds,
          secret,
        }),
    );
    this.history = { t: [], perNode: this.nodes.map(() => []) };
    for (const node of this.nodes) {
      node.onStatus((n, first) => {
        this.checkLeader();
        if (first) {
          this.log(`node ${n.index} is up (pid ${n.pid}, incarnation ${n.status?.incarnation.slice(0, 8)})`);
          void this.applyPartition(n);
        }
      });
      node.onExit((n) => {
        this.previous.delete(n.index);
        this.rates.delete(n.index);
        if (this.stopped) return;
        this.checkLeader();
        if (n.lastExit === 'downed') {
          this.log(`node ${n.index} was downed by the cluster and shut itself down`);
          // As a process supervisor would, start it again (a new incarnation joins); one cut off by a partition
          // waits for the heal, or it would only be downed again (or, as the first seed, form a cluster alone).
          if (!this.isolated.has(n.index)) setTimeout(() => this.restartDowned(n), 500);
        } else if (n.lastExit !== 'SIGKILL')
          this.log(`node ${n.index} exited (${n.lastExit}) ${n.errors.slice(-300)}`);
      });
    }
  }

  /** Starts `size` node processes on fresh ports of 127.0.0.1. */
  static async start(size = 5): Promise<DemoCluster> {
    if (!Number.isInteger(size) || size < 1 || size > 9)
      throw new InvalidActionError('the cluster size must be 1 to 9');
    const cluster = new DemoCluster(await freePorts(size * 3), size);
    for (const node of cluster.nodes) node.start();
    cluster.log(`started ${size} node processes`);
    cluster.sampler = setInterval(() => cluster.sample(), 500);
    return cluster;
  }

  /** Kills every node process and waits for them to be gone. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sampler);
    await Promise.all(this.nodes.map((n) => n.kill()));
  }

  /** `kill -9` of one node. */
  async kill(index: number): Promise<void> {
    const node = this.node(index);
    if (!node.alive) throw new InvalidActionError(`node ${index} is not running`);
    this.log(`node ${index} killed (kill -9 ${node.pid})`);
    await node.kill();
  }

  /** Starts a node again, on the same ports, as a new incarnation. */
  restart(index: number): void {
    const node = this.node(index);
    if (node.alive) throw new InvalidActionError(`node ${index} is running; kill it first`);
    node.start();
    this.log(`node ${index} restarting`);
  }

  /**
   * Cuts node `index` off from every node outside the isolated group (nodes partitioned earlier stay with it),
   * on both sides. The minority side downs itself; `heal` starts it again.
   */
  async partition(index: number): Promise<void> {
    this.node(index);
    if (this.isolated.has(index)) throw new InvalidActionError(`node ${index} is already partitioned`);
    this.isolated.add(index);
    this.log(`node ${index} partitioned from the others`);
    // A node still starting gets its share when it first reports (see the constructor).
    await Promise.all(this.nodes.filter((n) => n.state === 'running').map((n) => this.applyPartition(n)));
  }

  /** Removes every partition; nodes that shut themselves down meanwhile are started again. */
  async heal(): Promise<void> {
    this.isolated.clear();
    this.log('partition healed');
    await Promise.all(
      this.nodes.map(async (n) => {
        if (n.state === 'running') await n.command({ type: 'heal' }).catch(() => undefined);
        else this.restartDowned(n);
      }),
    );
  }

  private restartDowned(n: NodeHandle): void {
    if (this.stopped || n.alive || n.lastExit !== 'downed' || this.isolated.has(n.index)) return;
    n.start();
    this.log(`node ${n.index} restarting after being downed`);
  }

  async crashWorker(index: number): Promise<void> {
    const node = this.node(index);
    if (node.state !== 'running') throw new InvalidActionError(`node ${index} is not running`);
    await node.command({ type: 'crash-worker' });
    this.log(`node ${index}: a worker was told to crash`);
  }

  /** A put through node `index`'s cache HTTP API. */
  async put(index: number, key: string, value: string, consistency: Consistency): Promise<CacheResult> {
    return this.cacheRequest(index, key, consistency, value);
  }

  /** A get through node `index`'s cache HTTP API. */
  async get(index: number, key: string, consistency: Consistency): Promise<CacheResult> {
    return this.cacheRequest(index, key, consistency);
  }

  state(): DashboardState {
    const views = this.nodes.map((n) => this.view(n));
    const leader = this.leader();
    const viewNode =
      (leader?.index !== undefined && this.nodes[leader.index].status
        ? this.nodes[leader.index]
        : undefined) ?? this.nodes.find((n) => n.alive && n.status && !this.isolated.has(n.index));
    const singletonOn = this.nodes
      .filter((n) => n.alive && n.status?.election.available && n.status.election.value.singletonHere)
      .map((n) => n.index);
    return {
      t: Date.now(),
      nodes: views,
      upMembers:
        viewNode?.status?.cluster.members.filter((m) => m.status === 'up' && m.reachable).length ?? 0,
      viewFrom: viewNode?.index,
      leader,
      singletonOn,
      history: this.history,
      links: this.linkRates,
      events: this.events,
    };
  }

  private view(n: NodeHandle): NodeView {
    return {
      index: n.index,
      port: n.config.port,
      httpPort: n.config.httpPort,
      transportAddress: n.transportAddress,
      address: `troupe://demo@${n.transportAddress}`,
      state: n.state,
      lastExit: n.lastExit,
      pid: n.alive ? n.pid : undefined,
      starts: n.starts,
      partitioned: this.isolated.has(n.index),
      rate: this.rates.get(n.index) ?? 0,
      status: n.alive ? n.status : undefined,
    };
  }

  /**
   * The leader the majority side agrees on: by leader election (highest term reported by a running node outside
   * the isolated group) when it is there, otherwise the membership leader most of those nodes report.
   */
  private leader(): LeaderView | undefined {
    const reporting = this.nodes.filter(
      (n) => n.state === 'running' && n.status && !this.isolated.has(n.index),
    );
    const byAddress = (address: string) =>
      this.nodes.find((n) => `troupe://demo@${n.transportAddress}` === address);
    let best: LeaderView | undefined;
    for (const n of reporting) {
      const e = n.status!.election;
      if (!e.available || !e.value.leader) continue;
      const candidate = byAddress(e.value.leader.address);
      if (!candidate?.alive) continue;
      if (!best || (best.term ?? 0) < e.value.leader.term)
        best = { ...e.value.leader, index: candidate.index, source: 'election' };
    }
    if (best || reporting.some((n) => n.status!.election.available)) return best;
    const votes = new Map<string, number>();
    for (const n of reporting) {
      const l = n.status!.cluster.leader;
      if (l) votes.set(l, (votes.get(l) ?? 0) + 1);
    }
    const [address] = [...votes].sort((a, b) => b[1] - a[1])[0] ?? [];
    if (!address || !byAddress(address)?.alive) return undefined;
    return { address, index: byAddress(address)?.index, source: 'membership' };
  }

  private sample(): void {
    const now = Date.now();
    const links: { from: number; to: number; rate: number }[] = [];
    for (const n of this.nodes) {
      const s = n.alive ? n.status : undefined;
      if (!s) continue;
      const prev = this.previous.get(n.index);
      const current: Sample = {
        incarnation: s.incarnation,
        t: s.t,
        messages: s.counters.messages,
        sentTo: s.sentTo,
      };
      if (prev && prev.incarnation === s.incarnation && s.t > prev.t) {
        const dt = (s.t - prev.t) / 1000;
        this.rates.set(n.index, (s.counters.messages - prev.messages) / dt);
        for (const peer of this.nodes) {
          const addr = peer.transportAddress;
          const sent = (s.sentTo[addr] ?? 0) - (prev.sentTo[addr] ?? 0);
          if (sent > 0) links.push({ from: n.index, to: peer.index, rate: sent / dt });
        }
        this.previous.set(n.index, current);
      } else if (!prev || prev.incarnation !== s.incarnation) {
        this.previous.set(n.index, current);
      }
    }
    this.linkRates = links;
    this.history.t.push(now);
    this.nodes.forEach((n, i) =>
      this.history.perNode[i].push(n.alive ? (this.rates.get(n.index) ?? 0) : null),
    );
    if (this.history.t.length > HISTORY) {
      this.history.t.shift();
      for (const series of this.history.perNode) series.shift();
    }
    this.checkLeader();
  }

  /** Called whenever the state has changed in a way a viewer should see at once (the leader). */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Logs a change of leader and tells the listeners, without waiting for the next sample. */
  private checkLeader(): void {
    const leader = this.leader();
    const label = leader
      ? `node ${leader.index}${leader.term !== undefined ? ` (term ${leader.term})` : ''}`
      : undefined;
    if (label === this.lastLeader) return;
    this.log(label ? `leader: ${label}` : 'no leader');
    this.lastLeader = label;
    for (const l of this.changeListeners) l();
  }

  /** Tells node `n` whom to refuse under the current partition (nobody, if there is none). */
  private async applyPartition(n: NodeHandle): Promise<void> {
    if (this.isolated.size === 0) return;
    const inside = this.isolated.has(n.index);
    const peers = this.nodes
      .filter((p) => p !== n && this.isolated.has(p.index) !== inside)
      .map((p) => p.transportAddress);
    await n.command({ type: 'block', peers }).catch(() => undefined);
  }

  private async cacheRequest(
    index: number,
    key: string,
    consistency: Consistency,
    value?: string,
  ): Promise<CacheResult> {
    const node = this.node(index);
    const status = node.status;
    if (!node.alive || !status) throw new InvalidActionError(`node ${index} is not running`);
    if (!status.cache.available) return { ok: false, node: index, key, error: status.cache.reason, ms: 0 };
    const url = `${status.cache.value.url}/keys/${encodeURIComponent(key)}?consistency=${consistency}`;
    const started = Date.now();
    const ms = () => Date.now() - started;
    try {
      const res = await fetch(url, {
        method: value === undefined ? 'GET' : 'PUT',
        ...(value === undefined
          ? {}
          : { body: JSON.stringify(value), headers: { 'content-type': 'application/json' } }),
        signal: AbortSignal.timeout(CACHE_TIMEOUT_MS),
      });
      const text = await res.text();
      if (value !== undefined && res.ok) {
        this.log(`put ${key} via node ${index} (${consistency}): ${ms()} ms`);
        return { ok: true, node: index, key, value, ms: ms() };
      }
      if (value === undefined && res.status === 404)
        return { ok: true, node: index, key, found: false, ms: ms() };
      const body = text
        ? (JSON.parse(text) as { value?: unknown; error?: { code: string; message: string } })
        : {};
      if (res.ok) {
        const v = typeof body.value === 'string' ? body.value : JSON.stringify(body.value);
        return { ok: true, node: index, key, found: true, value: v, ms: ms() };
      }
      const error = body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`;
      this.log(
        `${value === undefined ? 'get' : 'put'} ${key} via node ${index} (${consistency}) failed: ${error}`,
      );
      return { ok: false, node: index, key, error, ms: ms() };
    } catch (e) {
      return { ok: false, node: index, key, error: e instanceof Error ? e.message : String(e), ms: ms() };
    }
  }

  private node(index: number): NodeHandle {
    const node = this.nodes[index];
    if (!Number.isInteger(index) || !node) throw new InvalidActionError(`no node ${index}`);
    return node;
  }

  private log(text: string): void {
    this.events.push({ t: Date.now(), text });
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }
}

/** Ports free on 127.0.0.1 right now (the OS picks them; all distinct). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}
