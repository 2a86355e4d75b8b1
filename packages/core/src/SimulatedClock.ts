import type { Clock, TimerHandle } from './Clock';

interface SimTimer {
  at: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. Timers fire in order of due time, ties in order of creation, so a run
 * is repeatable.
 *
 * @example
 * ```ts
 * const clock = new SimulatedClock();
 * clock.setTimeout(() => console.log('tick'), 100);
 * clock.advance(99);  // nothing
 * clock.advance(1);   // 'tick'
 * ```
 */
export class SimulatedClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly heap: SimTimer[] = [];

  constructor(startAt = 0) {
    this.time = startAt;
  }

  now(): number {
    return this.time;
  }

  /** The same virtual time: a simulated clock never jumps unless told to advance. */
  monotonic(): number {
    return this.time;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer: SimTimer = {
      at: this.time + Math.max(0, delayMs),
      seq: this.seq++,
      callback,
      cancelled: false,
    };
    this.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    if (handle && typeof handle === 'object') (handle as SimTimer).cancelled = true;
  }

  /** Timers not yet fired nor cancelled. */
  get pendingTimers(): number {
    let n = 0;
    for (const t of this.heap) if (!t.cancelled) n++;
    return n;
  }

  /** Due time of the next live timer, or `undefined` if there is none. */
  nextTimerAt(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, each at its own instant. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('advance(ms) needs ms >= 0');
    this.advanceTo(this.time + ms);
  }

  /** Moves time to `at` (never backwards), firing due timers in order. */
  advanceTo(at: number): void {
    for (;;) {
      this.dropCancelled();
      const next = this.heap[0];
      if (!next || next.at > at) break;
      this.pop();
      if (next.at > this.time) this.time = next.at;
      next.callback();
    }
    if (at > this.time) this.time = at;
  }

  /** Fires the next due timer (moving time to it). Returns false when no timer is pending. */
  fireNext(): boolean {
    this.dropCancelled();
    const next = this.heap[0];
    if (!next) return false;
    this.advanceTo(next.at);
    return true;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0].cancelled) this.pop();
  }

  private less(a: SimTimer, b: SimTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(t: SimTimer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): SimTimer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
