import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..', '..');
const SCRIPT = join(__dirname, 'cacheNode.ts');
const TSCONFIG = join(__dirname, '..', '..', 'tsx.tsconfig.json');

/** One line a node process printed (see cacheNode.ts). */
export interface CacheNodeLine {
  readonly t: number;
  readonly event: string;
  readonly address?: string;
  readonly http?: string;
  readonly members?: number;
}

/** Options of {@link CacheNodeProcess}. */
export interface CacheNodeProcessOptions {
  readonly port: number;
  readonly httpPort?: number;
  readonly seeds?: readonly string[];
  readonly members?: readonly string[];
  readonly settings?: Record<string, unknown>;
  readonly secret?: string;
}

/** A cache node in a child process (cacheNode.ts run from the sources by tsx), and every line it printed. */
export class CacheNodeProcess {
  readonly lines: CacheNodeLine[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = '';

  constructor(readonly options: CacheNodeProcessOptions) {
    // CACHE_CPU_PROF=<dir> profiles every node process (the benchmark's profiling switch).
    const prof = process.env.CACHE_CPU_PROF;
    const args = [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), '--import', 'tsx', SCRIPT];
    args.push('--port', String(options.port));
    args.push('--http-port', String(options.httpPort ?? 0));
    if (options.seeds) args.push('--seeds', options.seeds.join(','));
    if (options.members) args.push('--members', options.members.join(','));
    if (options.settings) args.push('--settings', JSON.stringify(options.settings));
    if (options.secret) args.push('--secret', options.secret);
    this.child = spawn(process.execPath, args, {
      cwd: ROOT,
      // Run against the workspaces' sources, never against a stale build.
      env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buffer = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        if (line.startsWith('{')) this.lines.push(JSON.parse(line) as CacheNodeLine);
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** `troupe://cache@127.0.0.1:<port>`. */
  get address(): string {
    return `troupe://cache@127.0.0.1:${this.options.port}`;
  }

  /** The HTTP API's URL, once it listens. */
  get url(): string | undefined {
    return this.lines.find((l) => l.event === 'listening')?.http;
  }

  get ready(): boolean {
    return this.lines.some((l) => l.event === 'ready');
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get errors(): string {
    return this.stderr;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.alive) this.child.kill(signal);
  }

  /** Kills it (if still running) and waits for it to be gone. */
  async stop(): Promise<void> {
    if (process.env.CACHE_CPU_PROF && this.alive) {
      // A profile is written only on a normal exit.
      this.kill('SIGINT');
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    this.kill('SIGKILL');
    await this.exited;
  }
}

/** Resolves once `predicate` holds, polling every 20 ms; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
