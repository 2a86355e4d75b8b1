import type { RandomSource } from '@troupe/core';
import type { Faults } from '../Faults';

/** @internal Faults of one direction of one link, checked and ready to draw from. */
export interface ResolvedFaults {
  readonly dropRate: number;
  readonly duplicateRate: number;
  readonly reorderRate: number;
  /** Undefined when there is no latency, so the common case draws no random number. */
  readonly delay: ((random: RandomSource) => number) | undefined;
}

export const NO_FAULTS: ResolvedFaults = { dropRate: 0, duplicateRate: 0, reorderRate: 0, delay: undefined };

/**
 * @internal The network-wide faults and the per-direction overrides. Every change bumps `version`, so a
 * channel resolves its faults again only after a change rather than on every send.
 */
export class FaultTable {
  version = 0;
  private global: Faults = {};
  private readonly links = new Map<string, Map<string, Faults>>();

  set(faults: Faults): void {
    check(faults);
    this.global = { ...faults };
    this.version++;
  }

  setLink(from: string, to: string, faults: Faults): void {
    check(faults);
    let row = this.links.get(from);
    if (!row) this.links.set(from, (row = new Map()));
    row.set(to, { ...faults });
    this.version++;
  }

  clear(): void {
    this.global = {};
    this.links.clear();
    this.version++;
  }

  resolve(from: string, to: string): ResolvedFaults {
    const own = this.links.get(from)?.get(to);
    const f: Faults = own ? { ...this.global, ...own } : this.global;
    const delay = toSampler(f.delay);
    if (!f.dropRate && !f.duplicateRate && !f.reorderRate && !delay) return NO_FAULTS;
    return {
      dropRate: f.dropRate ?? 0,
      duplicateRate: f.duplicateRate ?? 0,
      reorderRate: f.reorderRate ?? 0,
      delay,
    };
  }
}

function toSampler(delay: Faults['delay']): ResolvedFaults['delay'] {
  if (delay === undefined) return undefined;
  if (typeof delay === 'function')
    return (random) => {
      const ms = delay(random);
      return Number.isFinite(ms) && ms > 0 ? ms : 0;
    };
  const { minMs, maxMs } = delay;
  if (maxMs === 0) return undefined;
  return (random) => minMs + random.next() * (maxMs - minMs);
}

function check(faults: Faults): void {
  for (const key of ['dropRate', 'duplicateRate', 'reorderRate'] as const) {
    const rate = faults[key];
    if (rate !== undefined && !(rate >= 0 && rate <= 1))
      throw new RangeError(`${key} must be within [0, 1], got ${rate}`);
  }
  const delay = faults.delay;
  if (delay !== undefined && typeof delay !== 'function') {
    const { minMs, maxMs } = delay;
    if (!(Number.isFinite(minMs) && Number.isFinite(maxMs) && minMs >= 0 && maxMs >= minMs))
      throw new RangeError(`delay needs 0 <= minMs <= maxMs, got [${minMs}, ${maxMs}]`);
  }
}
