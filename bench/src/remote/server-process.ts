import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { ServerCommand, ServerKind, ServerReport } from './protocol.js';

/** Set by the harness to profile both processes of every remote case: the directory for the .cpuprofile files. */
export const CPU_PROF_ENV = 'TROUPE_BENCH_CPU_PROF';

/**
 * `--cpu-prof` flags for a process of a case, or none when not profiling. Each process gets a directory of its
 * own (`DIR/<case>-client`, `DIR/<case>-server`): tsx's loader thread writes a profile too, and a fixed file
 * name would let it overwrite the main thread's. The main thread's file is the one whose name has thread id 0.
 */
export function cpuProfArgs(dir: string | undefined, label: string): string[] {
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, label)}`] : [];
}

/** The server process of a case, as the client sees it. */
export class ServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    /** `host:port` for raw servers, the node address (`troupe://bench@host:port`) for Troupe. */
    readonly address: string,
  ) {}

  /** Forks `server.ts` on a fresh `node --import tsx` and waits until it listens. */
  static async start(kind: ServerKind, caseName: string): Promise<ServerProcess> {
    const child = fork(join(__dirname, 'server.ts'), [kind], {
      execArgv: ['--import', 'tsx', ...cpuProfArgs(process.env[CPU_PROF_ENV], `${caseName}-server`)],
      // The client's stdout carries the result line: keep the server off it.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const address = await new Promise<string>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`server exited early (${signal ?? code})`)));
      child.on('message', (r: ServerReport) => {
        if (r.type === 'ready') resolve(r.address);
      });
    });
    child.removeAllListeners('exit');
    return new ServerProcess(child, address);
  }

  /** Asks the server to exit (it shuts its node down first) and waits; kills it if it takes too long. */
  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (!this.send({ type: 'stop' })) this.child.kill('SIGKILL');
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  private send(cmd: ServerCommand): boolean {
    return this.child.connected && this.child.send(cmd);
  }
}
