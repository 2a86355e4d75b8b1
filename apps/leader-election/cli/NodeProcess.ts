import { NodeProcess as JsonLinesProcess } from '@troupe/testkit';
import { join } from 'node:path';

export { freePorts } from '@troupe/testkit';

const ROOT = join(__dirname, '..', '..', '..');
const SCRIPT = join(__dirname, 'leaderNode.ts');

/** One line a node process printed (see leaderNode.ts). */
export interface NodeLine {
  readonly t: number;
  readonly event: string;
  readonly self?: string;
  readonly role?: 'follower' | 'candidate' | 'leader';
  readonly term?: number;
  readonly leader?: string;
  /** For `singleton`: where the singleton answered from, and its token. */
  readonly node?: string;
  readonly token?: number;
  readonly address?: string;
}

/** Options of a node process. */
export interface NodeProcessOptions {
  /** Every voter's address (the seeds, with `cluster`). */
  readonly voters: readonly string[];
  readonly cluster?: boolean;
  /** Where the node keeps its term and vote (so a restart remembers them). */
  readonly stateDir?: string;
  readonly probeMs?: number;
  readonly secret?: string;
}

/** An election node running in a child process over WebSocket on 127.0.0.1; every line it printed, parsed. */
export class NodeProcess extends JsonLinesProcess<NodeLine> {
  constructor(
    readonly port: number,
    options: NodeProcessOptions,
  ) {
    const args = ['--port', String(port), '--voters', options.voters.join(',')];
    if (options.cluster) args.push('--cluster');
    if (options.stateDir) args.push('--state-dir', options.stateDir);
    if (options.probeMs !== undefined) args.push('--probe-ms', String(options.probeMs));
    super({
      script: SCRIPT,
      args,
      cwd: ROOT,
      // The workspaces' sources, as Jest runs them: never a stale build.
      tsconfig: join(__dirname, 'tsconfig.json'),
      env: { TROUPE_SECRET: options.secret ?? 'troupe-leader-election-secret' },
    });
  }

  static addressOf(port: number): string {
    return `troupe://leader@127.0.0.1:${port}`;
  }

  get address(): string {
    return NodeProcess.addressOf(this.port);
  }

  /** The last role line: what this node believes now. */
  get last(): NodeLine | undefined {
    return this.lastLine((l) => l.event === 'role');
  }
}
