import { NodeProcess } from '@troupe/testkit';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..', '..');
const SCRIPT = join(__dirname, 'cacheNode.ts');
const TSCONFIG = join(__dirname, '..', '..', 'tsx.tsconfig.json');

/** One line a node process printed (see cacheNode.ts). */
export interface CacheNodeLine {
  readonly t: number;
  readonly event: string;
  readonly address?: string;
  readonly http?: string;
  readonly members?: number;
}

/** Options of {@link CacheNodeProcess}. */
export interface CacheNodeProcessOptions {
  readonly port: number;
  readonly httpPort?: number;
  readonly seeds?: readonly string[];
  readonly members?: readonly string[];
  readonly settings?: Record<string, unknown>;
  readonly secret?: string;
  /** Profile the process (`--cpu-prof`) into this directory; the profile is written when it stops. */
  readonly cpuProfDir?: string;
  /** The cluster's timings (with `seeds`): `fast` (the default) or `production` (see cacheNode.ts). */
  readonly clusterTimings?: 'fast' | 'production';
}

/** A cache node in a child process (cacheNode.ts run from the sources by tsx), and every line it printed. */
export class CacheNodeProcess extends NodeProcess<CacheNodeLine> {
  constructor(readonly options: CacheNodeProcessOptions) {
    // CACHE_CPU_PROF=<dir> profiles every node process that was not given a directory of its own.
    const prof = options.cpuProfDir ?? process.env.CACHE_CPU_PROF;
    const args = ['--port', String(options.port), '--http-port', String(options.httpPort ?? 0)];
    if (options.seeds) args.push('--seeds', options.seeds.join(','));
    if (options.members) args.push('--members', options.members.join(','));
    if (options.settings) args.push('--settings', JSON.stringify(options.settings));
    if (options.secret) args.push('--secret', options.secret);
    if (options.clusterTimings) args.push('--cluster-timings', options.clusterTimings);
    super({
      script: SCRIPT,
      args,
      nodeArgs: prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [],
      cwd: ROOT,
      // Run against the workspaces' sources, never against a stale build.
      tsconfig: TSCONFIG,
    });
  }

  /** `troupe://cache@127.0.0.1:<port>`. */
  get address(): string {
    return `troupe://cache@127.0.0.1:${this.options.port}`;
  }

  /** The HTTP API's URL, once it listens. */
  get url(): string | undefined {
    return this.lines.find((l) => l.event === 'listening')?.http;
  }

  get ready(): boolean {
    return this.lines.some((l) => l.event === 'ready');
  }

  /** Kills it (if still running) and waits for it to be gone. */
  override stop(): Promise<void> {
    // A profile is written only on a normal exit: ask with SIGINT first.
    const profiled = this.options.cpuProfDir ?? process.env.CACHE_CPU_PROF;
    return profiled ? super.stop('SIGINT', 5000) : super.stop('SIGKILL');
  }
}
