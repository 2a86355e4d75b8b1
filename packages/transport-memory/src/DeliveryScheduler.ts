/**
 * Decides when the network's asynchronous steps run: message arrivals, handshakes, close notifications. The
 * default runs steps without delay in one FIFO queue drained by `setImmediate` (fast, and the same order on
 * every run), and steps with a delay on the network's clock (virtual time under a `SimulatedClock`).
 *
 * A deterministic simulator replaces it to own every step. It may run steps in any order it likes: each
 * connection keeps its messages in order by itself. It must run every step exactly once, and never
 * synchronously from inside `schedule`, since the network calls it in the middle of `send`.
 *
 * @example
 * ```ts
 * const steps: { at: number; run: () => void }[] = [];
 * let now = 0;
 * const net = new MemoryNetwork({ seed: 7, scheduler: { schedule: (delayMs, run) => steps.push({ at: now + delayMs, run }) } });
 * // ... later, the simulator picks the next step:
 * steps.sort((a, b) => a.at - b.at);
 * const step = steps.shift()!;
 * now = step.at;
 * step.run();
 * ```
 */
export interface DeliveryScheduler {
  /** Runs `run` once, `delayMs` (≥ 0) from now; 0 means after the current call returns. */
  schedule(delayMs: number, run: () => void): void;
}
