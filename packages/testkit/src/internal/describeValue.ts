import { BaseRef } from '@troupe/core';

const MAX_DEPTH = 4;
const MAX_ITEMS = 20;
const MAX_LENGTH = 400;

/**
 * A short, deterministic, one-line rendering of a message or state for failure reports. Not `util.inspect`:
 * that would dump a ref's whole actor cell (its system, its siblings) into the report, where the address is
 * what a reader needs, and its output changes across Node versions.
 */
export function describeValue(value: unknown): string {
  const out = render(value, 0, new Set());
  return out.length > MAX_LENGTH ? out.slice(0, MAX_LENGTH - 1) + '…' : out;
}

function render(v: unknown, depth: number, seen: Set<object>): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint':
      return `${v}n`;
    case 'boolean':
    case 'undefined':
    case 'symbol':
      return String(v);
    case 'function':
      return `[Function ${v.name || 'anonymous'}]`;
  }
  if (v === null) return 'null';
  const o = v as object;
  if (o instanceof BaseRef) return `ActorRef(${String(o)})`;
  if (isAsymmetricMatcher(o)) return typeof o.toString === 'function' ? o.toString() : 'AsymmetricMatcher';
  if (o instanceof Error) return `${o.name}: ${o.message}`;
  if (o instanceof Date) return Number.isNaN(o.getTime()) ? 'Invalid Date' : o.toISOString();
  if (o instanceof RegExp) return String(o);
  if (seen.has(o)) return '[Circular]';
  const name = className(o);
  if (depth >= MAX_DEPTH) {
    if (Array.isArray(o)) return `[Array(${o.length})]`;
    return name ? `[${name}]` : '{…}';
  }
  seen.add(o);
  try {
    if (Array.isArray(o)) return `[${items(o, (x) => render(x, depth + 1, seen))}]`;
    if (o instanceof Map) {
      const entries = [...o.entries()];
      return `Map(${o.size}) {${items(entries, ([k, x]) => `${render(k, depth + 1, seen)} => ${render(x, depth + 1, seen)}`, ' ')}}`;
    }
    if (o instanceof Set) return `Set(${o.size}) {${items([...o], (x) => render(x, depth + 1, seen), ' ')}}`;
    const keys = Object.keys(o);
    const body = items(
      keys,
      (k) => `${propertyKey(k)}: ${render((o as Record<string, unknown>)[k], depth + 1, seen)}`,
      ' ',
    );
    return `${name ? name + ' ' : ''}{${body}}`;
  } finally {
    seen.delete(o);
  }
}

function items<T>(list: T[], show: (item: T) => string, pad = ''): string {
  if (list.length === 0) return '';
  const shown = list.slice(0, MAX_ITEMS).map(show);
  if (list.length > MAX_ITEMS) shown.push(`… ${list.length - MAX_ITEMS} more`);
  return `${pad}${shown.join(', ')}${pad}`;
}

function className(o: object): string | undefined {
  const proto = Object.getPrototypeOf(o);
  if (proto === null || proto === Object.prototype) return undefined;
  const name = proto?.constructor?.name;
  return typeof name === 'string' && name !== 'Object' ? name : undefined;
}

function propertyKey(k: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : JSON.stringify(k);
}

/** Jest's `expect.any(...)`, `expect.objectContaining(...)` and friends, recognised without importing Jest. */
export function isAsymmetricMatcher(
  v: unknown,
): v is { asymmetricMatch(other: unknown): boolean; toString?(): string } {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { asymmetricMatch?: unknown }).asymmetricMatch === 'function'
  );
}
