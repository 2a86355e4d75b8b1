/**
 * CPU per request of the cache bench's cases, from a profiling run (`cacheBench.ts --cpu-prof DIR`, optionally
 * with this process under `node --cpu-prof --cpu-prof-dir=DIR/client`): for every process's main-thread profile
 * in `DIR/<process>/`, the busy time that fell inside each case's samples (`DIR/windows.json`), divided by the
 * requests of those samples, and the functions that took it. Start-up, warm-up and the other cases' samples are
 * left out, unlike in a whole-profile summary.
 *
 *   node --import tsx bench/src/cache/profileWindows.ts DIR [--top 25]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface Window {
  name: string;
  fromUs: number;
  toUs: number;
  requests: number;
}

const IDLE = new Set(['(idle)']);

function where(url: string): string {
  const m = /\/(packages|apps)\/([^/]+)\//.exec(url);
  if (m && !url.includes('node_modules')) return m[2];
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node';
  return url === '' ? '' : url.split('/').slice(-1)[0];
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: { top: { type: 'string', default: '25' } },
    allowPositionals: true,
  });
  const dir = positionals[0];
  const top = Number(values.top);
  const windows = JSON.parse(readFileSync(join(dir, 'windows.json'), 'utf8')) as Window[];
  const names = [...new Set(windows.map((w) => w.name))];
  const perCase = new Map<string, Map<string, number>>();
  for (const proc of readdirSync(dir, { withFileTypes: true })) {
    if (!proc.isDirectory()) continue;
    // The main thread's profile: thread id 0 (tsx's loader thread writes one too); the latest run's, by the
    // time in its name, if the directory was used before.
    const file = readdirSync(join(dir, proc.name))
      .filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f))
      .sort()
      .pop();
    if (!file) continue;
    const profile = JSON.parse(readFileSync(join(dir, proc.name, file), 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    for (const name of names) {
      const mine = windows.filter((w) => w.name === name);
      const requests = mine.reduce((a, w) => a + w.requests, 0);
      const wall = mine.reduce((a, w) => a + w.toUs - w.fromUs, 0);
      const byFunction = new Map<string, number>();
      let t = profile.startTime;
      let busy = 0;
      for (let i = 0; i < profile.samples.length; i++) {
        t += profile.timeDeltas[i];
        const dt = profile.timeDeltas[i + 1] ?? 0;
        if (!mine.some((w) => t >= w.fromUs && t < w.toUs)) continue;
        const { functionName, url, lineNumber } = byId.get(profile.samples[i])!.callFrame;
        if (IDLE.has(functionName)) continue;
        busy += dt;
        const key = `${functionName || '(anonymous)'} ${where(url)}${url ? `:${lineNumber + 1}` : ''}`;
        byFunction.set(key, (byFunction.get(key) ?? 0) + dt);
      }
      const totals = perCase.get(name) ?? new Map<string, number>();
      totals.set(proc.name, busy / requests);
      perCase.set(name, totals);
      console.log(
        `\n${name} on ${proc.name}: ${(busy / requests).toFixed(1)} µs CPU per request ` +
          `(${((100 * busy) / wall).toFixed(0)}% of ${(wall / 1e6).toFixed(2)} s, ${requests} requests)`,
      );
      for (const [k, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
        console.log(
          `  ${(us / requests).toFixed(2).padStart(7)} µs  ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${k}`,
        );
    }
  }
  console.log('\nµs CPU per request, by process:');
  for (const [name, totals] of perCase) {
    const sum = [...totals.values()].reduce((a, b) => a + b, 0);
    const parts = [...totals].map(([p, us]) => `${p} ${us.toFixed(1)}`).join(', ');
    console.log(`  ${name}: ${sum.toFixed(1)} in all (${parts})`);
  }
}

main();
