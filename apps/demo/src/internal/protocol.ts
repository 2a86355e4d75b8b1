/**
 * What the orchestrator and its node processes say to each other over the IPC channel of `child_process.fork`,
 * and the status a node reports. Everything here is plain JSON.
 */

/** Read and write consistency of the replicated cache, as the dashboard offers it. */
export type Consistency = 'one' | 'quorum' | 'all';

/** A command from the orchestrator; `id` pairs it with its {@link NodeReply}. */
export type NodeCommand =
  | { readonly id: number; readonly type: 'block'; readonly peers: readonly string[] }
  | { readonly id: number; readonly type: 'heal' }
  | { readonly id: number; readonly type: 'crash-worker' };

/** A command before the handle numbers it. */
export type NodeCommandBody = NodeCommand extends infer C
  ? C extends NodeCommand
    ? Omit<C, 'id'>
    : never
  : never;

/** What a node process sends: its status every {@link STATUS_INTERVAL_MS}, and replies to commands. */
export type NodeMessage =
  | { readonly type: 'status'; readonly status: NodeStatus }
  | { readonly type: 'reply'; readonly id: number; readonly ok: boolean; readonly error?: string };

export const STATUS_INTERVAL_MS = 500;

export interface MemberView {
  readonly address: string;
  readonly status: string;
  readonly reachable: boolean;
  readonly upNumber?: number;
}

export interface ActorNode {
  readonly name: string;
  readonly path: string;
  /** Messages waiting in its mailbox. */
  readonly mailbox: number;
  /** `alive`, `busy`, `suspended` (failed, waiting for a restart), `restarting`, `stopping`, `terminated`. */
  readonly status: string;
  readonly children: readonly ActorNode[];
}

export interface RecentEvent {
  readonly t: number;
  readonly kind: 'supervision' | 'dead-letter' | 'failure';
  readonly text: string;
}

/** One panel's content, or why it has none. */
export type Panel<T> =
  { readonly available: true; readonly value: T } | { readonly available: false; readonly reason: string };

export interface ElectionView {
  readonly leader?: { readonly address: string; readonly term: number };
  readonly role: string;
  readonly term: number;
  readonly singletonHere: boolean;
  /** What the singleton has done, as it reports it (its fencing token and ticks), when it runs here. */
  readonly singleton?: { readonly token: number; readonly ticks: number };
}

export interface CacheView {
  readonly keys: number;
  /** The node's cache HTTP API (`GET/PUT /keys/:key?consistency=`). */
  readonly url: string;
  readonly stats: object;
}

/** Everything the dashboard shows about one node, as that node sees it. */
export interface NodeStatus {
  readonly address: string;
  /** `127.0.0.1:port`, as the transport and its peers name it. */
  readonly transportAddress: string;
  readonly incarnation: string;
  readonly pid: number;
  readonly t: number;
  readonly cluster: {
    readonly members: readonly MemberView[];
    readonly leader?: string;
    readonly converged: boolean;
    readonly unreachable: readonly string[];
    readonly selfStatus: string;
  };
  /** User messages handled so far, and dead letters so far (the system's counters). */
  readonly counters: { readonly messages: number; readonly deadLetters: number; readonly liveActors: number };
  /** Messages this node sent to each peer (by transport address) so far. */
  readonly sentTo: Readonly<Record<string, number>>;
  /** Peers this node refuses to talk to (a partition). */
  readonly blocked: readonly string[];
  readonly actorTree: ActorNode;
  readonly recent: readonly RecentEvent[];
  readonly election: Panel<ElectionView>;
  readonly cache: Panel<CacheView>;
  /** Where this node serves Prometheus metrics, when it does. */
  readonly metrics: Panel<{ readonly url: string }>;
}
