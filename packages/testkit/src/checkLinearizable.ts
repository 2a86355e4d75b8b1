import { InvalidArgumentError } from '@troupe/core';
import { deepEqual } from './internal/deepEqual';
import { describeValue } from './internal/describeValue';

/**
 * One operation on a key-value store whose keys are independent read/write registers, as a client saw it.
 *
 * - Completed (`completedAt` set) and `ok`: it took effect at one instant between `invokedAt` and `completedAt`.
 * - Completed and not `ok`: it definitely did not take effect (a refusal); it is left out.
 * - Pending (`completedAt` undefined: a timeout, a crash, no answer): its outcome is unknown. A pending write
 *   may have taken effect at any instant after `invokedAt`, or never; a pending read constrains nothing.
 */
export interface RegisterOperation<V = unknown> {
  readonly process: string | number;
  readonly kind: 'write' | 'read';
  readonly key: string | number;
  /** The value written, or the value the read returned. */
  readonly value: V;
  readonly invokedAt: number;
  readonly completedAt: number | undefined;
  readonly ok: boolean;
}

export interface LinearizabilityOptions {
  /** What a key holds before any write. Default `undefined`. */
  initialValue?: unknown;
  /** Most search steps (over all keys) before giving up with verdict `unknown`. Default 1 000 000. */
  maxSteps?: number;
}

export type LinearizabilityResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly verdict: 'not-linearizable';
      readonly reason: string;
      readonly key: string | number;
      /** The key's operations that were checked (failed ones and pending reads left out). */
      readonly operations: ReadonlyArray<RegisterOperation>;
      /** The longest order of operations the search could justify before getting stuck. */
      readonly longestLinearization: ReadonlyArray<RegisterOperation>;
      /** An operation that could not be placed after that order. */
      readonly stuckAt: RegisterOperation | undefined;
    }
  | {
      readonly ok: false;
      readonly verdict: 'unknown';
      readonly reason: string;
      readonly key: string | number;
      readonly steps: number;
    };

/**
 * Whether a history of reads and writes is linearizable: whether each key's operations can be put in one
 * order that respects real time (an operation that completed before another was invoked comes first) and in
 * which every read returns the latest write (or the initial value). Keys are checked one by one, which
 * linearizability allows (it is compositional).
 *
 * The search is Wing and Gong's, with Lowe's memoisation of (operations linearized, register value) as
 * Porcupine and Knossos do, and pruned by real-time order: an operation is tried only while no completed
 * operation still pending placement returned before it was invoked. It is exponential in the worst case, so it
 * is bounded by `maxSteps`, past which it answers `unknown` instead of hanging.
 *
 * Values are compared structurally. Equal timestamps count as concurrent.
 *
 * @example
 * ```ts
 * const result = checkLinearizable([
 *   { process: 'a', kind: 'write', key: 'x', value: 1, invokedAt: 0, completedAt: 10, ok: true },
 *   { process: 'b', kind: 'read', key: 'x', value: undefined, invokedAt: 20, completedAt: 30, ok: true },
 * ]);
 * // { ok: false, verdict: 'not-linearizable', reason: 'key "x" …', … }: the read is stale
 * ```
 */
export function checkLinearizable(
  history: ReadonlyArray<RegisterOperation>,
  options: LinearizabilityOptions = {},
): LinearizabilityResult {
  const initial = options.initialValue;
  let budget = options.maxSteps ?? 1_000_000;
  const byKey = new Map<string | number, RegisterOperation[]>();
  for (const op of history) {
    validate(op);
    const relevant = op.completedAt === undefined ? op.kind === 'write' : op.ok;
    if (!relevant) continue;
    let ops = byKey.get(op.key);
    if (!ops) byKey.set(op.key, (ops = []));
    ops.push(op);
  }
  for (const [key, ops] of byKey) {
    const result = checkKey(key, ops, initial, budget);
    if (!result.ok) return result;
    budget -= result.steps;
  }
  return { ok: true };
}

function validate(op: RegisterOperation): void {
  const what = () => `operation ${describeValue(op)}`;
  if (op === null || typeof op !== 'object') throw new InvalidArgumentError(`${what()} is not an object`);
  if (op.kind !== 'read' && op.kind !== 'write')
    throw new InvalidArgumentError(`${what()}: kind must be read or write`);
  if (!Number.isFinite(op.invokedAt))
    throw new InvalidArgumentError(`${what()}: invokedAt must be a finite number`);
  if (op.completedAt !== undefined && !(op.completedAt >= op.invokedAt)) {
    throw new InvalidArgumentError(`${what()}: completedAt must be undefined or >= invokedAt`);
  }
}

/** A node of the doubly linked list of calls and returns the search lifts operations out of. */
interface Entry {
  readonly op: number;
  readonly isCall: boolean;
  readonly time: number;
  /** The call's return, or the return's call; a pending operation's call has none. */
  match: Entry | undefined;
  prev: Entry | undefined;
  next: Entry | undefined;
}

function checkKey(
  key: string | number,
  ops: RegisterOperation[],
  initial: unknown,
  budget: number,
): { ok: true; steps: number } | Exclude<LinearizabilityResult, { ok: true }> {
  // Registers hold one of few values: number them, so a state is an integer and a read check is one comparison.
  const values = new ValueTable();
  const initialId = values.idOf(initial);
  const writeIds = ops.map((op) => (op.kind === 'write' ? values.idOf(op.value) : -1));
  for (const op of ops) {
    if (op.kind === 'read' && !values.has(op.value)) {
      return {
        ok: false,
        verdict: 'not-linearizable',
        key,
        reason:
          `key ${describeValue(key)}: ${describeOp(op)} returned a value that no write (nor the initial value) ` +
          `could have produced`,
        operations: ops,
        longestLinearization: [],
        stuckAt: op,
      };
    }
  }
  const readIds = ops.map((op) => (op.kind === 'read' ? values.idOf(op.value) : -1));

  // Calls and returns in time order; at equal times calls first, so that touching intervals overlap.
  const entries: Entry[] = [];
  ops.forEach((op, i) => {
    const call: Entry = {
      op: i,
      isCall: true,
      time: op.invokedAt,
      match: undefined,
      prev: undefined,
      next: undefined,
    };
    entries.push(call);
    if (op.completedAt !== undefined) {
      const ret: Entry = {
        op: i,
        isCall: false,
        time: op.completedAt,
        match: call,
        prev: undefined,
        next: undefined,
      };
      call.match = ret;
      entries.push(ret);
    }
  });
  entries.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.op - b.op);
  const head: Entry = {
    op: -1,
    isCall: false,
    time: -Infinity,
    match: undefined,
    prev: undefined,
    next: undefined,
  };
  let prev = head;
  for (const e of entries) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }

  const mustPlace = ops.filter((op) => op.completedAt !== undefined).length;
  const linearized = new Uint32Array(Math.ceil(ops.length / 32));
  const seen = new Set<string>();
  const stack: { entry: Entry; state: number }[] = [];
  let placed = 0;
  let state = initialId;
  let steps = 0;
  let best: number[] = [];
  let stuck: number | undefined;

  let entry = head.next;
  while (placed < mustPlace) {
    if (++steps > budget) {
      return {
        ok: false,
        verdict: 'unknown',
        key,
        steps,
        reason:
          `key ${describeValue(key)}: gave up after ${steps - 1} search steps over ${ops.length} operations ` +
          `without deciding; raise maxSteps, or record fewer concurrent operations`,
      };
    }
    if (entry && entry.isCall) {
      const i = entry.op;
      const op = ops[i];
      const next = op.kind === 'write' ? writeIds[i] : state;
      if (op.kind === 'write' || readIds[i] === state) {
        linearized[i >>> 5] |= 1 << (i & 31);
        const memo = `${linearized.join(',')}:${next}`;
        if (!seen.has(memo)) {
          seen.add(memo);
          stack.push({ entry, state });
          state = next;
          lift(entry);
          if (op.completedAt !== undefined) placed++;
          if (stack.length > best.length) {
            best = stack.map((s) => s.entry.op);
            stuck = undefined;
          }
          entry = head.next;
          continue;
        }
        linearized[i >>> 5] &= ~(1 << (i & 31));
      }
      entry = entry.next;
      continue;
    }
    // A return whose call is not placed (or the end of the list): what is placed so far cannot be extended.
    if (entry && stack.length === best.length && stuck === undefined) stuck = entry.op;
    const top = stack.pop();
    if (!top) {
      const order = best.map((i) => ops[i]);
      const stuckOp = stuck === undefined ? undefined : ops[stuck];
      return {
        ok: false,
        verdict: 'not-linearizable',
        key,
        reason: explain(key, ops, order, stuckOp),
        operations: ops,
        longestLinearization: order,
        stuckAt: stuckOp,
      };
    }
    const i = top.entry.op;
    linearized[i >>> 5] &= ~(1 << (i & 31));
    if (ops[i].completedAt !== undefined) placed--;
    state = top.state;
    unlift(top.entry);
    entry = top.entry.next;
  }
  return { ok: true, steps };
}

function lift(call: Entry): void {
  call.prev!.next = call.next;
  if (call.next) call.next.prev = call.prev;
  const ret = call.match;
  if (ret) {
    ret.prev!.next = ret.next;
    if (ret.next) ret.next.prev = ret.prev;
  }
}

/** Undoes `lift`; lifts are undone last first, so the neighbours saved in the entries are right again. */
function unlift(call: Entry): void {
  const ret = call.match;
  if (ret) {
    ret.prev!.next = ret;
    if (ret.next) ret.next.prev = ret;
  }
  call.prev!.next = call;
  if (call.next) call.next.prev = call;
}

/** Distinct values, numbered; primitives by a map, the rest by structural comparison. */
class ValueTable {
  private readonly primitives = new Map<unknown, number>();
  private readonly objects: { value: unknown; id: number }[] = [];
  private count = 0;

  idOf(v: unknown): number {
    const found = this.find(v);
    if (found !== undefined) return found;
    const id = this.count++;
    if (typeof v === 'object' && v !== null) this.objects.push({ value: v, id });
    else this.primitives.set(v, id);
    return id;
  }

  has(v: unknown): boolean {
    return this.find(v) !== undefined;
  }

  private find(v: unknown): number | undefined {
    if (typeof v !== 'object' || v === null) {
      // NaN is a Map key like any other (SameValueZero), which is what a register value comparison wants.
      return this.primitives.get(v);
    }
    return this.objects.find((o) => deepEqual(o.value, v))?.id;
  }
}

function describeOp(op: RegisterOperation): string {
  const verb = op.kind === 'write' ? `write ${describeValue(op.value)}` : `read ${describeValue(op.value)}`;
  const end = op.completedAt === undefined ? 'pending' : String(op.completedAt);
  return `${verb} by ${describeValue(op.process)} [${op.invokedAt}, ${end}]`;
}

const MAX_SHOWN = 12;

function explain(
  key: string | number,
  ops: RegisterOperation[],
  order: RegisterOperation[],
  stuck: RegisterOperation | undefined,
): string {
  const shown =
    order.length <= MAX_SHOWN
      ? order.map(describeOp)
      : ['…', ...order.slice(order.length - MAX_SHOWN).map(describeOp)];
  const prefix =
    order.length === 0
      ? 'no operation can go first'
      : `the longest valid order found places ${order.length}: ${shown.join(' → ')}`;
  const then = stuck ? `; then ${describeOp(stuck)} cannot be placed` : '';
  return (
    `key ${describeValue(key)} is not linearizable: no order of its ${ops.length} operations respects both ` +
    `real time and register semantics; ${prefix}${then}`
  );
}
