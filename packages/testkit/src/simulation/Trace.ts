import { createHash, type Hash } from 'node:crypto';

/**
 * One thing that happened in a simulated run. Kinds the simulation writes: `node-start`, `node-crash`,
 * `node-restart`, `nemesis`, `deliver`, `drop`, `duplicate`, `remote` (a node's remoting events), `log`
 * (warnings and errors the systems logged) and `fault` (an exception inside a step). A scenario adds its own
 * with `sim.record(kind, detail)`.
 */
export interface TraceRecord {
  /** Virtual time of the shared clock, in ms (the nodes' own clocks may be skewed from it). */
  readonly at: number;
  readonly kind: string;
  /** A string, or any JSON-serialisable value. */
  readonly detail: unknown;
}

/**
 * The record of a run, hashed as it grows: the hash covers every record ever written, while only the newest
 * `limit` are kept in memory, so a long run (a benchmark) does not hold millions of records.
 */
export class Trace {
  private records: TraceRecord[] = [];
  private readonly hash: Hash = createHash('sha256');
  /** Serialised records not yet hashed: hashing in chunks costs a fraction of a native call per record. */
  private pending = '';
  /** Records written so far, including those no longer kept. */
  count = 0;

  constructor(
    private readonly clock: { now(): number },
    private readonly limit: number,
  ) {}

  /**
   * Adds a record. `payload` (the bytes of a message) goes into the hash, not into the kept record: two runs
   * that send different bytes at the same moments get different hashes, at the cost of a native call.
   */
  record(kind: string, detail: unknown, payload?: Uint8Array): void {
    const record: TraceRecord = { at: this.clock.now(), kind, detail };
    this.count++;
    this.pending += serializeRecord(record);
    if (payload !== undefined) {
      this.hash.update(this.pending);
      this.hash.update(payload);
      this.pending = '';
    } else if (this.pending.length >= 1 << 16) {
      this.hash.update(this.pending);
      this.pending = '';
    }
    this.records.push(record);
    // Trimmed in bulk, so that keeping the newest records costs O(1) per record rather than a shift each.
    if (this.records.length >= 2 * this.limit) this.records = this.records.slice(-this.limit);
  }

  /** The kept records, oldest first (at most `limit`, or up to twice that between trims). */
  get kept(): ReadonlyArray<TraceRecord> {
    return this.records;
  }

  /** The newest `n` records, oldest first. */
  last(n: number): TraceRecord[] {
    return this.records.slice(-n);
  }

  /**
   * sha256 (hex) of every record written so far, each serialised with {@link serializeRecord} and followed by
   * its payload's bytes if it had one.
   */
  digest(): string {
    const hash = this.hash.copy();
    if (this.pending.length > 0) hash.update(this.pending);
    return hash.digest('hex');
  }
}

/** One line: `at<TAB>kind<TAB>detail\n`, the detail as is when a string, else as JSON. */
export function serializeRecord(record: TraceRecord): string {
  const detail = typeof record.detail === 'string' ? record.detail : safeJson(record.detail);
  return `${record.at}\t${record.kind}\t${detail}\n`;
}

/**
 * One record for humans: `t=1234.5  kind  detail`.
 *
 * @example
 * ```ts
 * console.log(sim.trace.slice(-20).map(formatRecord).join('\n'));
 * ```
 */
export function formatRecord(record: TraceRecord): string {
  const detail = typeof record.detail === 'string' ? record.detail : safeJson(record.detail);
  return `t=${formatTime(record.at)}  ${record.kind}  ${detail}`;
}

function formatTime(at: number): string {
  return Number.isInteger(at) ? String(at) : at.toFixed(3);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
