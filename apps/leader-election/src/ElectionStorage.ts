import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** What a voter must not forget across restarts: its term and whom it voted for in it. */
export interface PersistedElectionState {
  readonly term: number;
  readonly votedFor: string | undefined;
}

/**
 * Where a node keeps its term and vote. `save` is called (synchronously) before any message that depends on the
 * new state is sent. A node restarted with an empty storage may vote twice in one term: use a durable storage
 * for processes restarted under the same address.
 */
export interface ElectionStorage {
  load(): PersistedElectionState | undefined;
  save(state: PersistedElectionState): void;
}

/**
 * Storage in memory: lost with the process. Pass the same object to a node's next start (as the simulation
 * does, standing for a disk) to keep it.
 *
 * @example
 * ```ts
 * const disk = memoryStorage();
 * startLeaderElection(node, { voters, storage: disk });
 * ```
 */
export function memoryStorage(): ElectionStorage {
  let state: PersistedElectionState | undefined;
  return {
    load: () => state,
    save: (s) => {
      state = { term: s.term, votedFor: s.votedFor };
    },
  };
}

/**
 * Storage in a JSON file, replaced atomically (write then rename) at every change: survives `kill -9` of the
 * process (not a power cut: there is no fsync). An unreadable or malformed file counts as empty.
 *
 * @example
 * ```ts
 * startLeaderElection(node, { voters, storage: fileStorage('/var/lib/app/election.json') });
 * ```
 */
export function fileStorage(path: string): ElectionStorage {
  return {
    load() {
      try {
        const data = JSON.parse(readFileSync(path, 'utf8')) as { term?: unknown; votedFor?: unknown };
        if (!Number.isSafeInteger(data.term) || (data.term as number) < 0) return undefined;
        const votedFor = typeof data.votedFor === 'string' ? data.votedFor : undefined;
        return { term: data.term as number, votedFor };
      } catch {
        return undefined;
      }
    },
    save(state) {
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ term: state.term, votedFor: state.votedFor ?? null }));
      renameSync(tmp, path);
    },
  };
}
