import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const SCRIPT = join(__dirname, 'leaderNode.ts');

/** One line a node process printed (see leaderNode.ts). */
export interface NodeLine {
  readonly t: number;
  readonly event: string;
  readonly self?: string;
  readonly role?: 'follower' | 'candidate' | 'leader';
  readonly term?: number;
  readonly leader?: string;
  /** For `singleton`: where the singleton answered from, and its token. */
  readonly node?: string;
  readonly token?: number;
  readonly address?: string;
}

/** Options of a node process. */
export interface NodeProcessOptions {
  /** Every voter's address (the seeds, with `cluster`). */
  readonly voters: readonly string[];
  readonly cluster?: boolean;
  /** Where the node keeps its term and vote (so a restart remembers them). */
  readonly stateDir?: string;
  readonly probeMs?: number;
  readonly secret?: string;
}

/** An election node running in a child process over WebSocket on 127.0.0.1; every line it printed, parsed. */
export class NodeProcess {
  readonly lines: NodeLine[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = '';
  private readonly listeners = new Set<(line: NodeLine) => void>();

  constructor(
    readonly port: number,
    options: NodeProcessOptions,
  ) {
    const args = ['--import', 'tsx', SCRIPT, '--port', String(port), '--voters', options.voters.join(',')];
    if (options.cluster) args.push('--cluster');
    if (options.stateDir) args.push('--state-dir', options.stateDir);
    if (options.probeMs !== undefined) args.push('--probe-ms', String(options.probeMs));
    this.child = spawn(process.execPath, args, {
      cwd: ROOT,
      // The workspaces' sources, as Jest runs them: never a stale build.
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: join(__dirname, 'tsconfig.json'),
        TROUPE_SECRET: options.secret ?? 'troupe-leader-election-secret',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buffer = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        if (!text.startsWith('{')) continue;
        const line = JSON.parse(text) as NodeLine;
        this.lines.push(line);
        for (const l of this.listeners) l(line);
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  static addressOf(port: number): string {
    return `troupe://leader@127.0.0.1:${port}`;
  }

  get address(): string {
    return NodeProcess.addressOf(this.port);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get errors(): string {
    return this.stderr;
  }

  /** The last role line: what this node believes now. */
  get last(): NodeLine | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--) if (this.lines[i].event === 'role') return this.lines[i];
    return undefined;
  }

  onLine(listener: (line: NodeLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.alive) this.child.kill(signal);
  }

  /** Kills it (if still running) and waits for it to be gone. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.kill(signal);
    await this.exited;
  }
}

/** Ports free on 127.0.0.1 right now (the OS picks them). */
export async function freePorts(n: number): Promise<number[]> {
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

/** Resolves once `check()` holds; rejects after `ms`. Polls every 5 ms. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
