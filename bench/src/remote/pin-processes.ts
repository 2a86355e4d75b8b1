// `--pin same|apart` for the remote section: each case's client and server processes (every thread of them) on
// one CPU, or on two different ones, with util-linux's `taskset`. A diagnostic, never the recorded figures: on a
// virtual machine whose idle vCPUs halt, a round trip between processes on two vCPUs pays two wake-ups of a
// halted vCPU, and how long those take depends on the host; on one vCPU it pays none. Pinning shows how much of a
// latency gap is the code and how much is where the scheduler happened to put the two processes.
import { execFileSync } from 'node:child_process';

/** How the harness tells each case process to pin itself and its server. */
export const PIN_ENV = 'TROUPE_BENCH_PIN';

export type PinMode = 'same' | 'apart';

export function pinMode(value: string | undefined): PinMode | undefined {
  if (value === undefined || value === '') return undefined;
  if (value !== 'same' && value !== 'apart') throw new Error(`--pin same|apart, not ${value}`);
  return value;
}

/** Pins the client (this process) to CPU 0 and the server to CPU 0 (`same`) or 1 (`apart`). */
export function pinCase(mode: PinMode, serverPid: number): void {
  taskset(0, process.pid);
  taskset(mode === 'same' ? 0 : 1, serverPid);
}

function taskset(cpu: number, pid: number): void {
  execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', String(cpu), String(pid)], {
    stdio: 'ignore',
  });
}
