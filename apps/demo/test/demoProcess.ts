import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DashboardState } from '../src';

const ROOT = join(__dirname, '..', '..', '..');
const MAIN = join(__dirname, '..', 'src', 'main.ts');

/** `npm start`'s program (`src/main.ts`) in a child process, as a user runs it; Ctrl-C is a SIGINT. */
export class DemoProcess {
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessWithoutNullStreams;
  private out = '';
  private err = '';

  constructor(args: readonly string[] = []) {
    this.child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(__dirname, '..', 'tsconfig.run.json') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => (this.out += chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => (this.err = (this.err + chunk).slice(-8000)));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get output(): string {
    return this.out;
  }

  get errors(): string {
    return this.err;
  }

  /** The dashboard address the program printed. */
  async url(timeoutMs = 60_000): Promise<string> {
    const match = await waitFor(
      () => /Dashboard: (http:\/\/127\.0\.0\.1:\d+)/.exec(this.out),
      timeoutMs,
      () => {
        if (this.child.exitCode !== null) throw new Error(`the demo exited: ${this.err}`);
      },
    );
    return match[1];
  }

  async state(): Promise<DashboardState> {
    const res = await fetch(`${await this.url()}/api/state`);
    return (await res.json()) as DashboardState;
  }

  /** What the demo looks like now, for the message of a failed wait: nodes, views, recent events. */
  async describe(): Promise<string> {
    try {
      const s = await this.state();
      const nodes = s.nodes.map((n) => {
        const c = n.status?.cluster;
        const members = c?.members.map((m) => `${m.address.slice(-5)}:${m.status}${m.reachable ? '' : '!'}`);
        return `  node ${n.index} ${n.state}${n.lastExit ? ` (${n.lastExit})` : ''} ${c?.selfStatus ?? ''} [${members?.join(' ') ?? ''}]`;
      });
      const events = s.events
        .slice(-25)
        .map((e) => `  ${new Date(e.t).toISOString().slice(11, 23)} ${e.text}`);
      return `up ${s.upMembers}, leader ${JSON.stringify(s.leader)}\n${nodes.join('\n')}\nevents:\n${events.join('\n')}`;
    } catch (e) {
      return `no state (${String(e)}); stderr: ${this.err}`;
    }
  }

  /** Runs `wait`; if it fails, fails with what the demo looked like then. */
  async explain<T>(wait: Promise<T>): Promise<T> {
    try {
      return await wait;
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${await this.describe()}`, {
        cause: e,
      });
    }
  }

  interrupt(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGINT');
  }

  /** Ctrl-C, and waits for the program to exit (SIGKILL if it has not within 15 s). */
  async stop(): Promise<number | null> {
    this.interrupt();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Polls `probe` until it returns something truthy. A probe that throws (say, a request to a server that is busy
 * starting) counts as not yet; its last error is reported if time runs out. `check` throwing ends the wait.
 */
export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs: number,
  check: () => void = () => undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    check();
    try {
      const value = await probe();
      if (value) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `condition not met within ${timeoutMs} ms`,
        lastError ? { cause: lastError } : undefined,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether a process with this pid is alive (a zombie waiting to be reaped is not). */
export function processExists(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}
