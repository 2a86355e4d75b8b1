import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { NodeProcessError } from './TestKitError';

/** Options of {@link NodeProcess}. */
export interface NodeProcessOptions {
  /** The TypeScript (or JavaScript) file to run, with `node --import tsx`. */
  readonly script: string;
  /** Arguments after the script. */
  readonly args?: readonly string[];
  /** Node's own flags, before `--import tsx` (e.g. `--cpu-prof`). */
  readonly nodeArgs?: readonly string[];
  /** Working directory; `tsx` must resolve from it. Defaults to this process's. */
  readonly cwd?: string;
  /**
   * The tsconfig tsx reads (`TSX_TSCONFIG_PATH`): point it at one whose `paths` map `@troupe/*` to the
   * workspaces' sources, so the child runs what the tests run, never a stale build.
   */
  readonly tsconfig?: string;
  /** Extra environment variables, over this process's. */
  readonly env?: Readonly<Record<string, string>>;
  /** How many characters of the child's stderr {@link NodeProcess.errors} keeps (the tail). Default 4000. */
  readonly stderrLimit?: number;
}

/**
 * A Node.js script running in a child process that reports by printing one JSON object per line on stdout:
 * every such line, parsed, in {@link NodeProcess.lines} (other output is ignored), with ways to wait for a line,
 * write to its stdin, `kill -9` it (a crash, as the OS sees one) and stop it gracefully. For tests and tools that
 * need real processes over real sockets, where a simulation would not do.
 *
 * @example
 * ```ts
 * const [port] = await freePorts(1);
 * const node = new NodeProcess<{ event: string }>({ script: 'node.ts', args: ['--port', String(port)] });
 * try {
 *   await node.waitForLine((l) => l.event === 'ready', 30_000);
 *   node.kill(); // SIGKILL
 *   await node.exited;
 * } finally {
 *   await node.stop();
 * }
 * ```
 */
export class NodeProcess<Line extends object = Record<string, unknown>> {
  /** Every JSON line the child printed so far, in order. */
  readonly lines: Line[] = [];
  /** Resolves with the exit code (null when a signal ended it) once the child is gone. */
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly listeners = new Set<(line: Line) => void>();
  private stderr = '';

  constructor(options: NodeProcessOptions) {
    const args = [...(options.nodeArgs ?? []), '--import', 'tsx', options.script, ...(options.args ?? [])];
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    if (options.tsconfig) env.TSX_TSCONFIG_PATH = options.tsconfig;
    this.child = spawn(process.execPath, args, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const limit = options.stderrLimit ?? 4000;
    let buffer = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        if (text.startsWith('{')) this.receive(text, limit);
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-limit)));
    // A child that exits before reading its stdin would otherwise fail a later write with an unhandled EPIPE.
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True until the child has exited. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The tail of what the child wrote to stderr: for the message of a failed test. */
  get errors(): string {
    return this.stderr;
  }

  /** The last line that satisfies `predicate` (the last line at all without one). */
  lastLine(predicate: (line: Line) => boolean = () => true): Line | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--) if (predicate(this.lines[i])) return this.lines[i];
    return undefined;
  }

  /** Calls `listener` with every line from now on; returns the function that unsubscribes it. */
  onLine(listener: (line: Line) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The first line, already printed or still to come, that satisfies `predicate`. Rejects with a
   * {@link NodeProcessError} (`TESTKIT_ERR_PROCESS_TIMEOUT`) after `timeoutMs`, or
   * (`TESTKIT_ERR_PROCESS_EXITED`) if the child exits first.
   */
  waitForLine(predicate: (line: Line) => boolean, timeoutMs: number): Promise<Line> {
    const seen = this.lines.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (finish: () => void): void => {
        if (settled) return;
        settled = true;
        off();
        clearTimeout(timer);
        finish();
      };
      const off = this.onLine((line) => {
        if (predicate(line)) settle(() => resolve(line));
      });
      const timer = setTimeout(
        () =>
          settle(() =>
            reject(
              new NodeProcessError(
                'TESTKIT_ERR_PROCESS_TIMEOUT',
                `no such line within ${timeoutMs} ms`,
                this.stderr,
              ),
            ),
          ),
        timeoutMs,
      );
      void this.exited.then((code) =>
        settle(() =>
          reject(
            new NodeProcessError(
              'TESTKIT_ERR_PROCESS_EXITED',
              `exited (${code}) before such a line`,
              this.stderr,
            ),
          ),
        ),
      );
    });
  }

  /** Writes `text` and a newline to the child's stdin. */
  writeLine(text: string): void {
    if (this.alive) this.child.stdin.write(`${text}\n`);
  }

  /** Sends `signal` (by default SIGKILL: a crash, no chance to clean up) if the child is still running. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.alive) this.child.kill(signal);
  }

  /**
   * Sends `signal` (by default SIGKILL) and waits for the child to be gone. With `graceMs`, a child that has not
   * exited that long after a gentler signal (SIGINT, SIGTERM) is killed with SIGKILL.
   */
  async stop(signal: NodeJS.Signals = 'SIGKILL', graceMs?: number): Promise<void> {
    this.kill(signal);
    if (graceMs !== undefined && signal !== 'SIGKILL' && this.alive) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
      this.kill('SIGKILL');
    }
    await this.exited;
  }

  private receive(text: string, limit: number): void {
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      this.stderr = `${this.stderr}[unparsable stdout line] ${text}\n`.slice(-limit);
      return;
    }
    this.lines.push(line);
    for (const l of this.listeners) l(line);
  }
}
