import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { NodeCommand, NodeCommandBody, NodeMessage, NodeStatus } from './protocol';

const ROOT = join(__dirname, '..', '..', '..', '..');
/** Always the source, run by tsx, whether the orchestrator runs from src or from dist: no build to go stale. */
const NODE_MAIN = join(__dirname, '..', '..', 'src', 'internal', 'nodeMain.ts');
const TSCONFIG = join(__dirname, '..', '..', 'tsconfig.run.json');
const COMMAND_TIMEOUT_MS = 5000;

/** Where a node's process is in its life, as the orchestrator knows it. */
export type NodeState = 'starting' | 'running' | 'killed' | 'exited';

export interface NodeConfig {
  readonly index: number;
  readonly port: number;
  readonly httpPort: number;
  readonly metricsPort: number;
  readonly seeds: readonly string[];
  readonly secret: string;
}

/**
 * One slot of the demo cluster: a node process that can be killed and started again on the same ports (a new
 * incarnation each time). Keeps the last status the process reported.
 */
export class NodeHandle {
  state: NodeState = 'exited';
  status: NodeStatus | undefined;
  /** How the last process ended: `SIGKILL`, an exit code, or `downed` (the cluster shut it down). */
  lastExit: string | undefined;
  starts = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderrTail = '';
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly statusListeners = new Set<(handle: NodeHandle, first: boolean) => void>();
  private readonly exitListeners = new Set<(handle: NodeHandle) => void>();

  constructor(readonly config: NodeConfig) {}

  get index(): number {
    return this.config.index;
  }

  /** `127.0.0.1:port`: how the transport and the peers name this node. */
  get transportAddress(): string {
    return `127.0.0.1:${this.config.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get errors(): string {
    return this.stderrTail;
  }

  get alive(): boolean {
    return this.state === 'starting' || this.state === 'running';
  }

  onStatus(listener: (handle: NodeHandle, first: boolean) => void): void {
    this.statusListeners.add(listener);
  }

  onExit(listener: (handle: NodeHandle) => void): void {
    this.exitListeners.add(listener);
  }

  /** Starts a process for this slot (a new incarnation). Does nothing if one is running. */
  start(): void {
    if (this.alive) return;
    this.state = 'starting';
    this.status = undefined;
    this.starts++;
    const child = fork(NODE_MAIN, [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: TSCONFIG,
        TROUPE_DEMO_INDEX: String(this.config.index),
        TROUPE_DEMO_PORT: String(this.config.port),
        TROUPE_DEMO_METRICS_PORT: String(this.config.metricsPort),
        TROUPE_DEMO_HTTP_PORT: String(this.config.httpPort),
        TROUPE_DEMO_SEEDS: this.config.seeds.join(','),
        TROUPE_DEMO_SECRET: this.config.secret,
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child = child;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => (this.stderrTail = (this.stderrTail + chunk).slice(-4000)));
    child.on('message', (raw: unknown) => {
      if (this.child !== child) return;
      const message = raw as NodeMessage;
      if (message.type === 'status') {
        const first = this.state === 'starting';
        this.state = 'running';
        this.status = message.status;
        for (const l of this.statusListeners) l(this, first);
      } else if (message.type === 'reply') {
        const w = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        if (message.ok) w?.resolve();
        else w?.reject(new Error(message.error ?? 'command failed'));
      }
    });
    // A failed IPC write (the process died meanwhile) is an 'error' event; the 'exit' that follows says it all.
    child.on('error', () => undefined);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (this.child === child) {
          this.child = undefined;
          this.state = signal === 'SIGKILL' ? 'killed' : 'exited';
          this.lastExit = signal ?? (code === 3 ? 'downed' : `exit code ${code}`);
          for (const [, w] of this.waiting) w.reject(new Error('the node process exited'));
          this.waiting.clear();
          for (const l of this.exitListeners) l(this);
        }
        resolve();
      }),
    );
  }

  /** `kill -9` the process; resolves once it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await this.exited;
  }

  /** Sends a command and resolves when the node has carried it out. */
  command(command: NodeCommandBody): Promise<void> {
    const child = this.child;
    if (!child || !child.connected) return Promise.reject(new Error(`node ${this.index} is not running`));
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`node ${this.index} did not answer within ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
      const done = (f: () => void) => () => {
        clearTimeout(timer);
        f();
      };
      this.waiting.set(id, { resolve: done(resolve), reject: (e) => done(() => reject(e))() });
      child.send({ ...command, id } as NodeCommand);
    });
  }
}
