import type { ActorTreeNode } from '@troupe/core';

/** @internal The `n` deepest non-empty mailboxes, deepest first (ties by path, so scrapes are stable). */
export function deepestMailboxes(root: ActorTreeNode, n: number): { path: string; depth: number }[] {
  if (n === 0) return [];
  const top: { path: string; depth: number }[] = [];
  const stack: ActorTreeNode[] = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    for (const c of node.children) stack.push(c);
    const depth = node.mailboxSize;
    if (depth === 0) continue;
    if (top.length === n && !deeper(depth, node.path, top[n - 1])) continue;
    // n is small (tens): insertion into a sorted array beats a heap here.
    let i = top.length === n ? n - 1 : top.length;
    while (i > 0 && deeper(depth, node.path, top[i - 1])) {
      top[i] = top[i - 1];
      i--;
    }
    top[i] = { path: node.path, depth };
  }
  return top;
}

function deeper(depth: number, path: string, than: { path: string; depth: number }): boolean {
  return depth > than.depth || (depth === than.depth && path < than.path);
}

export function totalDepth(root: ActorTreeNode): number {
  let total = 0;
  const stack: ActorTreeNode[] = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    total += node.mailboxSize;
    for (const c of node.children) stack.push(c);
  }
  return total;
}
