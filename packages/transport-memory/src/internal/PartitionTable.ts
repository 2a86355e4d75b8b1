/**
 * @internal Which pairs of addresses cannot talk. Kept by address, not by transport, so a partition outlives a
 * node's restart as it would outlive a process restart behind a broken switch.
 */
export class PartitionTable {
  private readonly cuts: [ReadonlySet<string>, ReadonlySet<string>][] = [];
  private readonly isolated = new Set<string>();

  partition(sideA: readonly string[], sideB: readonly string[]): void {
    const a = new Set(sideA);
    const both = sideB.filter((address) => a.has(address));
    if (both.length > 0) throw new RangeError(`an address cannot be on both sides: ${both.join(', ')}`);
    this.cuts.push([a, new Set(sideB)]);
  }

  isolate(address: string): void {
    this.isolated.add(address);
  }

  heal(): void {
    this.cuts.length = 0;
    this.isolated.clear();
  }

  blocked(from: string, to: string): boolean {
    // Checked on every send and every arrival: the common case (no partition at all) costs two comparisons.
    if (this.cuts.length === 0 && this.isolated.size === 0) return false;
    if (from === to) return false;
    if (this.isolated.has(from) || this.isolated.has(to)) return true;
    for (const [a, b] of this.cuts) if ((a.has(from) && b.has(to)) || (a.has(to) && b.has(from))) return true;
    return false;
  }
}
