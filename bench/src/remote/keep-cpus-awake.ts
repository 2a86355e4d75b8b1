// `--keep-awake` for the remote section: one busy loop per CPU at the lowest priority (nice 19) while the
// section runs. A diagnostic, never the recorded figures. On a virtual machine whose idle vCPUs halt, every
// round trip between two processes pays the host's wake-up of a halted vCPU, and that cost moves with the host
// (the raw ws round trip's p50 was 58 µs on 2026-11-22 and 165-215 µs on 2026-12-07, same code). With a
// spinner on every vCPU none halts, and a woken process preempts the nice-19 loop at once, so a round trip
// costs the code and the kernel's loopback; the raw round trip went back to 60-106 µs on 2026-12-07.
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** Starts the spinners; the returned function stops them. */
export function keepCpusAwake(): () => void {
  const spinners: ChildProcess[] = [];
  for (let i = 0; i < availableParallelism(); i++) {
    // The spinner lowers its own priority: no `nice` binary needed.
    const spin = "require('node:os').setPriority(19); for (;;) {}";
    spinners.push(spawn(process.execPath, ['-e', spin], { stdio: 'ignore' }));
  }
  return () => {
    for (const s of spinners) s.kill('SIGKILL');
  };
}
