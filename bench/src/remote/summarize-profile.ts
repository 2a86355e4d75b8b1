// Summarises .cpuprofile files (from `npm run bench -w @troupe/bench -- --only remote --cpu-prof DIR`): self
// time by function and by where the code lives (a package, node's internals, GC, idle).
//
//   node --import tsx src/remote/summarize-profile.ts DIR/troupe-tell-client.cpuprofile [--top 25]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function lives: the package (or workspace package) in its path, node's internals, or V8's own. */
function place(url: string, name: string): string {
  if (name === '(garbage collector)' || name === '(idle)' || name === '(program)') return name;
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const workspace = /\/packages\/([^/]+)\//.exec(url);
  if (workspace && !url.includes('node_modules')) return `@troupe/${workspace[1]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  if (url.includes('/bench/')) return 'bench';
  return url;
}

function summarize(path: string, top: number): void {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = place(url, functionName);
    const file = url.split('/').slice(-1)[0];
    const key = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''} [${where}]`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byPlace.set(where, (byPlace.get(where) ?? 0) + us);
  }
  // Shares of busy time: a case's process idles while the harness samples the other cases of its group.
  const busy = total - (byPlace.get('(idle)') ?? 0);
  byPlace.delete('(idle)');
  for (const key of [...byFunction.keys()]) if (key.startsWith('(idle)')) byFunction.delete(key);
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  console.log(`\n${path}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy`);
  console.log('  by place (share of busy time):');
  for (const [k, us] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, 14))
    console.log(`    ${pct(us)}  ${k}`);
  console.log('  by function (self time, share of busy time):');
  for (const [k, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`    ${pct(us)}  ${k}`);
}

const { values, positionals } = parseArgs({ options: { top: { type: 'string' } }, allowPositionals: true });
for (const path of positionals) summarize(path, Number(values.top ?? 25));
