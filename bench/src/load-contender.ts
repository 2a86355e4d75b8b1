import type { Contender, ContenderName } from './contender.js';

export const contenderNames: readonly ContenderName[] = ['baseline', 'troupe', 'xstate', 'nact'];

// Imported on demand so a case's process loads only the library it measures.
export async function loadContender(name: string): Promise<Contender> {
  switch (name) {
    case 'baseline':
      return (await import('./contenders/baseline.js')).baseline;
    case 'troupe':
      return (await import('./contenders/troupe.js')).troupe;
    case 'xstate':
      return (await import('./contenders/xstate.js')).xstate;
    case 'nact':
      return (await import('./contenders/nact.js')).nact;
    default:
      throw new Error(`unknown contender ${name}`);
  }
}
