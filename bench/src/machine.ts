import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';

function packageVersion(name: string): string {
  // Walk up from the entry point: nact's package.json is not reachable through its exports.
  let dir = dirname(require.resolve(name));
  while (dir !== dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? '?';
    }
    dir = dirname(dir);
  }
  return '?';
}

/**
 * One line naming what the figures were measured on, with the versions of `packages` that the figures depend on,
 * for the results and the README. The load average is read before the run: anything else busy on two cores shows
 * up in every figure.
 */
export function describeMachine(packages: readonly string[] = []): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const versions = packages.map((name) => `${name} ${packageVersion(name)}, `).join('');
  return (
    `${availableParallelism()} cores (nproc) of ${cpu}, Node ${process.version}, ${versions}` +
    `1-minute load average ${loadavg()[0].toFixed(2)} at the start`
  );
}
